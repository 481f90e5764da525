/*
 * sim_fixture.h — loads a scenario from text, compiles it and runs the
 * engine, for the engine and market tests.
 */
#ifndef SF_TEST_SIM_FIXTURE_H
#define SF_TEST_SIM_FIXTURE_H

#include <criterion/criterion.h>
#include <string.h>

#include "shortfall/engine.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"

typedef struct {
    sf_scenario sc;
    sf_model m;
    sf_results res;
} fixture;

static inline void fixture_load(fixture *f, const char *text)
{
    sf_error err = {0};
    memset(f, 0, sizeof *f);
    int ret = sf_scenario_load_string(&f->sc, text, strlen(text),
                                      "test.yaml", &err);
    cr_assert_eq(ret, 0, "load: %s", err.msg);
    ret = sf_model_init(&f->m, &f->sc, &err);
    cr_assert_eq(ret, 0, "model: %s", err.msg);
}

/* Runs every policy of the scenario on n trials. */
static inline void fixture_run(fixture *f, uint64_t n, uint64_t seed,
                               int threads)
{
    sf_error err = {0};
    int policies[64];
    sf_run_options opt = {0};

    cr_assert_leq(f->sc.n_policies, 64);
    for (size_t p = 0; p < f->sc.n_policies; p++)
        policies[p] = (int)p;
    opt.seed = seed;
    opt.n_trials = n;
    opt.threads = threads;
    opt.n_policies = f->sc.n_policies;
    opt.policies = policies;
    sf_results_free(&f->res);
    int ret = sf_results_init(&f->res, &f->m, &opt, &err);
    cr_assert_eq(ret, 0, "init: %s", err.msg);
    ret = sf_engine_run(&f->m, &opt, &f->res, &err);
    cr_assert_eq(ret, 0, "run: %s", err.msg);
    ret = sf_results_summarise(&f->res, &err);
    cr_assert_eq(ret, 0, "summarise: %s", err.msg);
}

static inline void fixture_free(fixture *f)
{
    sf_results_free(&f->res);
    sf_model_free(&f->m);
    sf_scenario_free(&f->sc);
}

/* The summary of metric m for the unit named name, policy position p. */
static inline const sf_summary *fixture_summary(const fixture *f, size_t p,
                                                sf_metric m, const char *name)
{
    for (size_t u = 0; u < f->res.n_units; u++)
        if (strcmp(sf_results_unit_name(&f->res, u), name) == 0)
            return &f->res.pol[p].summary[(size_t)m * f->res.n_units + u];
    cr_assert_fail("no unit %s", name);
    return NULL;
}

#endif
