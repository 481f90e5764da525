/*
 * test_design.c — the sampling designs of a batch (combine: lhs and
 * sobol, sim/design.c, docs/batches.md): Latin hypercube strata, the
 * Saltelli layout, and the values against GSL's Sobol sequence called
 * directly and against the sequence's known first points.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <gsl/gsl_qrng.h>

#include "batch.h"

static void load(sf_batch *b, const char *design, int samples,
                 const char *extra, const char *sweeps)
{
    char text[4096];
    sf_error err = {0};
    snprintf(text, sizeof text,
             "batch: t\nscenarios: [x.yaml]\ncombine: %s\nsamples: %d\n%s"
             "sweeps:\n%s",
             design, samples, extra, sweeps);
    cr_assert_eq(sf_batch_load(b, text, strlen(text), "t.yaml", &err), 0,
                 "%s", err.msg);
}

static const char two[] =
    "  - {path: a, values: {range: [0, 1]}}\n"
    "  - {path: b, values: {range: [0, 1]}}\n";

/* Saltelli: N(k+2) variants, A, AB_0..AB_{k-1}, B per base point, the
 * points those of gsl_qrng_sobol in 2k dimensions from its first. */
Test(design, sobol_layout_and_gsl_values)
{
    sf_batch b;
    size_t n = 16, k = 2;
    load(&b, "sobol", (int)n, "", two);
    cr_assert_eq(sf_batch_combinations(&b), n * (k + 2));
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)(2 * k));
    for (size_t j = 0; j < n; j++) {
        double p[4];
        gsl_qrng_get(q, p);
        size_t c = j * (k + 2);
        for (size_t s = 0; s < k; s++) {
            cr_expect_eq(sf_batch_value(&b, c, s), p[s]);         /* A */
            cr_expect_eq(sf_batch_value(&b, c + k + 1, s), p[k + s]); /* B */
            for (size_t i = 0; i < k; i++) /* AB_i: A but column i from B */
                cr_expect_eq(sf_batch_value(&b, c + 1 + i, s),
                             s == i ? p[k + s] : p[s]);
        }
        for (size_t v = 0; v < k + 2; v++) {
            const char *m;
            int base, col;
            sf_design_sobol_role(&b, c + v, &m, &base, &col);
            cr_expect_eq(base, (int)j);
            cr_expect_str_eq(m, v == 0 ? "A" : v == k + 1 ? "B" : "AB");
            cr_expect_eq(col, v == 0 || v == k + 1 ? -1 : (int)v - 1);
        }
    }
    gsl_qrng_free(q);
    sf_batch_free(&b);
}

/* The first points of the Sobol sequence in two dimensions, from the
 * direction numbers (dimension 1: v_i = 2^-i; dimension 2, polynomial
 * x + 1: m_i = 2 m_{i-1} xor m_{i-1}, m_1 = 1) in Gray-code order, with
 * no origin: GSL starts at (0.5, 0.5). */
Test(design, sobol_known_first_points)
{
    sf_batch b;
    load(&b, "sobol", 8, "", "  - {path: a, values: {range: [0, 1]}}\n");
    unsigned m[31], v1[31], v2[31];
    m[1] = 1;
    for (int i = 2; i <= 30; i++)
        m[i] = (2 * m[i - 1]) ^ m[i - 1];
    for (int i = 1; i <= 30; i++) {
        v1[i] = 1u << (30 - i);
        v2[i] = m[i] << (30 - i);
    }
    for (unsigned j = 0; j < 8; j++) {
        unsigned g = (j + 1) ^ ((j + 1) >> 1), x1 = 0, x2 = 0;
        for (int i = 1; i <= 30; i++)
            if (g >> (i - 1) & 1) {
                x1 ^= v1[i];
                x2 ^= v2[i];
            }
        double a = x1 / 1073741824.0, bb = x2 / 1073741824.0;
        cr_expect_eq(sf_batch_value(&b, 3 * j, 0), a, "A_%u", j);
        cr_expect_eq(sf_batch_value(&b, 3 * j + 2, 0), bb, "B_%u", j);
    }
    /* The start, written out: 0.5, 0.75, 0.25, 0.375 and 0.5, 0.25,
     * 0.75, 0.375. */
    cr_expect_eq(sf_batch_value(&b, 0, 0), 0.5);
    cr_expect_eq(sf_batch_value(&b, 3, 0), 0.75);
    cr_expect_eq(sf_batch_value(&b, 6, 0), 0.25);
    cr_expect_eq(sf_batch_value(&b, 9, 0), 0.375);
    cr_expect_eq(sf_batch_value(&b, 5, 0), 0.25);
    cr_expect_eq(sf_batch_value(&b, 8, 0), 0.75);
    sf_batch_free(&b);
}

/* A log range maps u to lo (hi/lo)^u. */
Test(design, sobol_log_range)
{
    sf_batch b;
    load(&b, "sobol", 4, "",
         "  - {path: a, values: {range: [0.01, 100], log: true}}\n");
    cr_expect_float_eq(sf_batch_value(&b, 0, 0), 1.0, 1e-12);  /* u = 0.5 */
    cr_expect_float_eq(sf_batch_value(&b, 3, 0), pow(10, 1), 1e-12); /* 0.75 */
    cr_expect_float_eq(sf_batch_value(&b, 6, 0), pow(10, -1), 1e-12);
    sf_batch_free(&b);
}

/* Each sweep has exactly one of N points in each of N strata (of the
 * range, or of its logarithm), and stays in [lo, hi]. */
static void expect_strata(const sf_batch *b, size_t s, double lo, double hi,
                          bool lg)
{
    size_t n = sf_batch_combinations(b);
    int *hits = calloc(n, sizeof *hits);
    for (size_t i = 0; i < n; i++) {
        double x = sf_batch_value(b, i, s);
        cr_expect(x >= lo && x <= hi, "sweep %zu value %g", s, x);
        double u = lg ? (log(x) - log(lo)) / (log(hi) - log(lo))
                      : (x - lo) / (hi - lo);
        size_t stratum = (size_t)floor(u * (double)n);
        cr_assert_lt(stratum, n);
        hits[stratum]++;
    }
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(hits[i], 1, "sweep %zu stratum %zu: %d points", s, i,
                     hits[i]);
    free(hits);
}

Test(design, lhs_one_point_per_stratum)
{
    sf_batch b;
    load(&b, "lhs", 97, "seed: 5\n",
         "  - {path: a, values: {range: [-3, 7]}}\n"
         "  - {path: b, values: {range: [0.001, 10], log: true}}\n"
         "  - {path: c, values: {range: [2, 3]}}\n");
    cr_assert_eq(sf_batch_combinations(&b), 97);
    expect_strata(&b, 0, -3, 7, false);
    expect_strata(&b, 1, 0.001, 10, true);
    expect_strata(&b, 2, 2, 3, false);
    /* The strata are permuted independently: sweeps a and c are not in
     * the same order. */
    size_t same = 0;
    for (size_t i = 0; i < 97; i++)
        same += floor((sf_batch_value(&b, i, 0) + 3) / 10 * 97) ==
                floor((sf_batch_value(&b, i, 2) - 2) * 97);
    cr_expect_lt(same, 97);
    sf_batch_free(&b);
}

/* The design is a function of the batch text: the same twice; another
 * seed, another design; no seed is seed 0. */
Test(design, lhs_reproducible_from_the_seed)
{
    sf_batch a, b, c, d;
    const char *sw = "  - {path: a, values: {range: [0, 1]}}\n";
    load(&a, "lhs", 10, "seed: 3\n", sw);
    load(&b, "lhs", 10, "seed: 3\n", sw);
    load(&c, "lhs", 10, "seed: 4\n", sw);
    load(&d, "lhs", 10, "seed: 0\n", sw);
    sf_batch e;
    load(&e, "lhs", 10, "", sw);
    bool differ = false;
    for (size_t i = 0; i < 10; i++) {
        cr_expect_eq(sf_batch_value(&a, i, 0), sf_batch_value(&b, i, 0));
        cr_expect_eq(sf_batch_value(&d, i, 0), sf_batch_value(&e, i, 0));
        differ = differ || sf_batch_value(&a, i, 0) != sf_batch_value(&c, i, 0);
    }
    cr_expect(differ);
    sf_batch_free(&a);
    sf_batch_free(&b);
    sf_batch_free(&c);
    sf_batch_free(&d);
    sf_batch_free(&e);
}
