/*
 * design.c — sampling designs of a batch (combine: lhs and sobol,
 * docs/batches.md): the swept values of every combination, made from the
 * batch text alone, so that `check`, every part of a run and `merge` make
 * the same design on every machine.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>

#include "batch.h"
#include "shortfall/h5file.h"
#include "shortfall/rng.h"

const char *sf_batch_design_name(const sf_batch *b)
{
    switch (b->design) {
    case SF_DESIGN_ZIP:
        return "zip";
    case SF_DESIGN_LHS:
        return "lhs";
    case SF_DESIGN_SOBOL:
        return "sobol";
    default:
        return "grid";
    }
}

/* A point u in [0, 1] of the unit interval, on the sweep's range. */
static double to_range(const sf_sweep *sw, double u)
{
    double x = sw->log ? exp(log(sw->lo) + u * (log(sw->hi) - log(sw->lo)))
                       : sw->lo + u * (sw->hi - sw->lo);
    /* Rounding (exp, log) may not step outside the range. */
    return x < sw->lo ? sw->lo : x > sw->hi ? sw->hi : x;
}

static int make_lhs(sf_batch *b)
{
    size_t n = b->samples, k = b->n_sweeps;
    size_t *perm = malloc(n * sizeof *perm);
    sf_rng r = {0};
    int ret = perm == NULL ? SF_ERR_NOMEM : sf_rng_init(&r);

    for (size_t s = 0; ret == 0 && s < k; s++) {
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        sf_rng_set(&r, b->seed, 0, SF_RNG_DESIGN, (uint32_t)s, 0);
        gsl_ran_shuffle(r.gsl, perm, n, sizeof *perm);
        sf_rng_set(&r, b->seed, 0, SF_RNG_DESIGN, (uint32_t)s, 1);
        for (size_t i = 0; i < n; i++) {
            /* u < 1 exactly: n <= 1e5 < 2^17 and the uniform is at most
             * 1 - 2^-32. */
            double u = ((double)perm[i] + gsl_rng_uniform(r.gsl)) / (double)n;
            b->points[i * k + s] = to_range(&b->sweeps[s], u);
        }
    }
    sf_rng_free(&r);
    free(perm);
    return ret;
}

static int make_sobol(sf_batch *b)
{
    size_t n = b->samples, k = b->n_sweeps, per = k + 2;
    double p[2 * SF_SOBOL_MAX_SWEEPS];
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)(2 * k));

    if (q == NULL)
        return SF_ERR_NOMEM;
    for (size_t j = 0; j < n; j++) {
        /* GSL's first point is (0.5, ..., 0.5), not the origin: nothing
         * is skipped (docs/batches.md). */
        gsl_qrng_get(q, p);
        for (size_t v = 0; v < per; v++) {
            double *row = &b->points[(j * per + v) * k];
            for (size_t s = 0; s < k; s++) {
                /* v = 0: A; v = 1 + i: A with column i from B; v = k+1: B */
                bool from_b = v == k + 1 || v == s + 1;
                row[s] = to_range(&b->sweeps[s], p[from_b ? k + s : s]);
            }
        }
    }
    gsl_qrng_free(q);
    return 0;
}

int sf_design_make(sf_batch *b)
{
    if (b->design != SF_DESIGN_LHS && b->design != SF_DESIGN_SOBOL)
        return 0;
    size_t combos = sf_batch_combinations(b);
    if ((b->points = calloc(combos * b->n_sweeps + 1, sizeof *b->points)) ==
        NULL)
        return SF_ERR_NOMEM;
    return b->design == SF_DESIGN_LHS ? make_lhs(b) : make_sobol(b);
}

void sf_design_sobol_role(const sf_batch *b, size_t c, const char **matrix,
                          int *base, int *column)
{
    size_t per = b->n_sweeps + 2, v = c % per;
    *base = (int)(c / per);
    *column = v >= 1 && v <= b->n_sweeps ? (int)(v - 1) : -1;
    *matrix = v == 0 ? "A" : v == per - 1 ? "B" : "AB";
}

void sf_batch_meta_free(sf_batch_meta *m)
{
    for (size_t k = 0; k < m->n_sweeps; k++) {
        if (m->names)
            free(m->names[k]);
        if (m->units)
            free(m->units[k]);
    }
    free(m->names);
    free(m->units);
    free(m->ranged);
    free(m->log);
    free(m->lo);
    free(m->hi);
    free(m->matrix);
    free(m->base);
    free(m->column);
    memset(m, 0, sizeof *m);
}

int sf_batch_meta_make(const sf_batch *b, size_t n_variants,
                       const char *first_text, sf_batch_meta *m)
{
    size_t ns = b->n_sweeps, n1 = ns + 1, nv1 = n_variants + 1;
    const char **paths = calloc(n1, sizeof *paths);
    sf_scenario sc;
    sf_error err = {0};
    bool have_sc = false;
    int ret = 0;

    memset(m, 0, sizeof *m);
    memset(&sc, 0, sizeof sc);
    m->names = calloc(n1, sizeof *m->names);
    m->units = calloc(n1, sizeof *m->units);
    m->ranged = calloc(n1, sizeof *m->ranged);
    m->log = calloc(n1, sizeof *m->log);
    m->lo = calloc(n1, sizeof *m->lo);
    m->hi = calloc(n1, sizeof *m->hi);
    if (!paths || !m->names || !m->units || !m->ranged || !m->log || !m->lo ||
        !m->hi) {
        ret = SF_ERR_NOMEM;
        goto out;
    }
    m->n_sweeps = ns;
    m->n_variants = n_variants;
    for (size_t k = 0; k < ns; k++) {
        paths[k] = b->sweeps[k].path;
        m->ranged[k] = b->sweeps[k].ranged;
        m->log[k] = b->sweeps[k].log;
        m->lo[k] = b->sweeps[k].lo;
        m->hi[k] = b->sweeps[k].hi;
    }
    if ((ret = sf_sweep_names(ns, paths, m->names)) != 0)
        goto out;
    have_sc = first_text != NULL &&
              sf_scenario_load_string(&sc, first_text, strlen(first_text),
                                      "variant 0", &err) == 0;
    for (size_t k = 0; k < ns && ret == 0; k++) {
        char unit[256] = "";
        if (have_sc)
            sf_sweep_unit(&sc, paths[k], unit, sizeof unit);
        if ((m->units[k] = strdup(unit)) == NULL)
            ret = SF_ERR_NOMEM;
    }
    if (ret == 0 && b->design == SF_DESIGN_SOBOL) {
        size_t combos = sf_batch_combinations(b);
        m->matrix = calloc(nv1, sizeof *m->matrix);
        m->base = calloc(nv1, sizeof *m->base);
        m->column = calloc(nv1, sizeof *m->column);
        if (!m->matrix || !m->base || !m->column)
            ret = SF_ERR_NOMEM;
        for (size_t v = 0; ret == 0 && v < n_variants; v++)
            sf_design_sobol_role(b, v % combos, &m->matrix[v], &m->base[v],
                                 &m->column[v]);
    }
out:
    sf_scenario_free(&sc);
    free(paths);
    if (ret != 0)
        sf_batch_meta_free(m);
    return ret;
}

void sf_batch_meta_h5(const sf_batch *b, const sf_batch_meta *m,
                      sf_h5_batch *hb)
{
    hb->design = sf_batch_design_name(b);
    hb->design_samples = b->design == SF_DESIGN_LHS ||
                                 b->design == SF_DESIGN_SOBOL
                             ? b->samples
                             : 0;
    hb->sweep_names = (const char *const *)m->names;
    hb->sweep_units = (const char *const *)m->units;
    hb->sweep_ranged = m->ranged;
    hb->sweep_lo = m->lo;
    hb->sweep_hi = m->hi;
    hb->sweep_log = m->log;
    hb->design_matrix = m->matrix;
    hb->design_base = m->base;
    hb->design_column = m->column;
}
