/*
 * shocks.c — samples a trial's history: the regime path, the episodes of
 * every shock (scheduled or hazard-driven, with triggers and multipliers),
 * and the lead times of new facilities.  Which stream each draw comes
 * from is fixed by sf_rng_purpose; see docs/model.md, "Random numbers".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shortfall/distributions.h"
#include "shortfall/shocks.h"

int sf_shock_history_init(sf_shock_history *h, int n_months, size_t n_shocks)
{
    size_t cells = (size_t)n_months * (n_shocks ? n_shocks : 1);

    memset(h, 0, sizeof *h);
    h->n_months = n_months;
    h->n_shocks = n_shocks;
    h->regime = calloc((size_t)n_months, sizeof *h->regime);
    h->level = calloc(cells, sizeof *h->level);
    h->active = calloc(cells, sizeof *h->active);
    h->onset = calloc(cells, sizeof *h->onset);
    h->changed = calloc((size_t)n_months, sizeof *h->changed);
    h->episode_end = calloc(n_shocks ? n_shocks : 1, sizeof *h->episode_end);
    h->episode_level = calloc(n_shocks ? n_shocks : 1,
                              sizeof *h->episode_level);
    if (!h->regime || !h->level || !h->active || !h->onset || !h->changed ||
        !h->episode_end || !h->episode_level)
        return SF_ERR_NOMEM;
    return 0;
}

void sf_shock_history_free(sf_shock_history *h)
{
    if (h == NULL)
        return;
    free(h->regime);
    free(h->level);
    free(h->active);
    free(h->onset);
    free(h->changed);
    free(h->episode_end);
    free(h->episode_level);
    memset(h, 0, sizeof *h);
}

void sf_regime_sample(const sf_model *m, sf_rng *rng, uint64_t seed,
                      uint64_t trial, sf_shock_history *h)
{
    const sf_scenario *sc = m->sc;
    (void)rng;

    if (!sc->has_regimes) {
        memset(h->regime, 0, (size_t)h->n_months * sizeof *h->regime);
        return;
    }
    const sf_regimes *rg = &sc->regimes;
    int state = rg->start;
    h->regime[0] = state;
    for (int t = 1; t < h->n_months; t++) {
        double u = sf_rng_uniform_at(seed, trial, SF_RNG_REGIME, 0,
                                     (uint32_t)t);
        const double *row = &rg->transition[(size_t)state * rg->n_states];
        double cum = 0.0;
        int next = (int)rg->n_states - 1;
        /* The last state with positive probability takes the rounding
         * remainder, so a row summing to 1 - 1e-16 never falls off. */
        while (next > 0 && row[next] == 0.0)
            next--;
        for (size_t b = 0; b < rg->n_states; b++) {
            cum += row[b];
            if (u < cum && row[b] > 0.0) {
                next = (int)b;
                break;
            }
        }
        state = next;
        h->regime[t] = state;
    }
}

static double clamp01(double x)
{
    return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
}

/* Severity in [0, 1] for restrictions and outages; a rate >= 0 for
 * tariffs, and a capacity added >= 0 for surges. */
static double shock_level(const sf_shock *s, double draw)
{
    if (s->kind == SF_SHOCK_TARIFF || s->kind == SF_SHOCK_SURGE)
        return draw < 0.0 ? 0.0 : draw;
    return clamp01(draw);
}

/* The product of the hazard multipliers on shock k in month t. */
static double hazard_multiplier(const sf_model *m, const sf_policy_plan *pp,
                                const sf_shock_history *h, size_t k, int t)
{
    const sf_scenario *sc = m->sc;
    size_t K = h->n_shocks;
    double mult = pp->hazard_mult[k];

    if (sc->has_regimes)
        mult *= sc->regimes.multiplier[(size_t)h->regime[t] * K + k];
    if (t > 0)
        for (size_t i = 0; i < sc->n_triggers; i++) {
            const sf_trigger *tr = &sc->triggers[i];
            if (tr->raises == (int)k &&
                h->active[(size_t)(t - 1) * K + (size_t)tr->when])
                mult *= tr->factor;
        }
    return mult;
}

void sf_shocks_sample(const sf_model *m, const sf_policy_plan *pp,
                      sf_rng *rng, uint64_t seed, uint64_t trial,
                      sf_shock_history *h)
{
    const sf_scenario *sc = m->sc;
    size_t K = h->n_shocks;

    /* Scheduled shocks draw their severity or rate once per trial. */
    for (size_t k = 0; k < K; k++) {
        const sf_shock *s = &sc->shocks[k];
        h->episode_end[k] = 0;
        h->episode_level[k] = 0.0;
        if (!s->scheduled || !pp->shock_on[k])
            continue;
        unsigned purpose = s->kind == SF_SHOCK_TARIFF
                               ? SF_RNG_TARIFF_RATE
                               : SF_RNG_SEVERITY_SCHEDULED;
        sf_rng_set(rng, seed, trial, purpose, (uint32_t)k, 0);
        h->episode_level[k] = shock_level(s, sf_dist_sample(&s->severity,
                                                            rng->gsl));
    }

    for (int t = 0; t < h->n_months; t++) {
        double *level = &h->level[(size_t)t * K];
        unsigned char *active = &h->active[(size_t)t * K];
        unsigned char *onset = &h->onset[(size_t)t * K];
        bool any_onset = false;
        for (size_t k = 0; k < K; k++) {
            const sf_shock *s = &sc->shocks[k];
            bool on = false;
            onset[k] = 0;
            if (!pp->shock_on[k]) {
                on = false;
            } else if (s->scheduled) {
                on = t >= s->start_month &&
                     t < s->start_month + s->duration_months;
                onset[k] = t == s->start_month;
            } else if (t < h->episode_end[k]) {
                on = true;
            } else if (s->hazard_per_year > 0.0) {
                double mult = hazard_multiplier(m, pp, h, k, t);
                double p = -expm1(-s->hazard_per_year * mult / 12.0);
                if (p > 0.0 &&
                    sf_rng_uniform_at(seed, trial, SF_RNG_ONSET, (uint32_t)k,
                                      (uint32_t)t) < p) {
                    sf_rng_set(rng, seed, trial, SF_RNG_EPISODE, (uint32_t)k,
                               (uint32_t)t);
                    double d = round(sf_dist_sample(&s->duration, rng->gsl));
                    /* Clamp before converting: a draw can be huge. */
                    int dur = d >= (double)h->n_months
                                  ? h->n_months
                                  : (d < 1.0 ? 1 : (int)d);
                    sf_rng_set(rng, seed, trial, SF_RNG_EPISODE_SEVERITY,
                               (uint32_t)k, (uint32_t)t);
                    h->episode_level[k] =
                        shock_level(s, sf_dist_sample(&s->severity, rng->gsl));
                    h->episode_end[k] = t + dur;
                    on = true;
                    onset[k] = 1;
                }
            }
            active[k] = on;
            level[k] = on ? h->episode_level[k] : 0.0;
            any_onset = any_onset || onset[k];
        }
        h->changed[t] =
            t == 0 || any_onset || memcmp(level, level - K, K * sizeof *level) != 0 ||
            memcmp(active, active - K, K * sizeof *active) != 0;
    }
}

void sf_project_sample(const sf_intervention *iv, int node, sf_rng *rng,
                       uint64_t seed, uint64_t trial, int *lead_time,
                       bool *completes)
{
    double u = sf_rng_uniform_at(seed, trial, SF_RNG_PROJECT, (uint32_t)node,
                                 0);
    *completes = u < iv->completion_probability;
    sf_rng_set(rng, seed, trial, SF_RNG_PROJECT_LEAD_TIME, (uint32_t)node, 0);
    double l = round(sf_dist_sample(&iv->lead_time, rng->gsl));
    /* Lead times past any horizon mean "not in this run". */
    *lead_time = l <= 0.0 ? 0 : (l > 1e9 ? 1000000000 : (int)l);
}

double sf_project_ramp(int lead_time, double ramp_months, int t)
{
    double x = (double)(t - lead_time + 1) / fmax(1.0, ramp_months);
    return x <= 0.0 ? 0.0 : (x >= 1.0 ? 1.0 : x);
}
