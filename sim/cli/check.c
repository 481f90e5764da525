/*
 * check.c — `shortfall check`: validates scenario files and prints what a
 * run would simulate: commodities in clearing order, nodes, the supply
 * balance at month 0, shocks with what they cover, triggers, regimes and
 * policy mixes.  A batch file gets its variants checked like scenarios and
 * listed with their indices (what `run BATCH --variant I` takes).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cli.h"
#include "shortfall/distributions.h"
#include "shortfall/engine.h"
#include "shortfall/market.h"
#include "shortfall/model.h"
#include "shortfall/policy.h"
#include "shortfall/scenario.h"

int sf_exit_code(int err_code)
{
    switch (err_code) {
    case SF_OK: return SF_EXIT_OK;
    case SF_ERR_IO:
    case SF_ERR_HDF5: return SF_EXIT_IO;
    case SF_ERR_NOMEM: return SF_EXIT_IO;
    default: return SF_EXIT_INPUT;
    }
}

static void print_country_set(FILE *f, const sf_scenario *sc,
                              const sf_country_set *s, const char *all_text)
{
    if (s->all) {
        fputs(all_text, f);
        return;
    }
    for (size_t i = 0; i < s->n; i++)
        fprintf(f, "%s%s", i ? "," : "", sc->countries[s->idx[i]]);
    if (s->n == 0)
        fputs("-", f);
}

static void print_commodity_list(FILE *f, const sf_scenario *sc,
                                 const sf_shock *s)
{
    if (s->all_commodities) {
        fputs("all commodities", f);
        return;
    }
    for (size_t i = 0; i < s->n_commodities; i++)
        fprintf(f, "%s%s", i ? "," : "", sc->commodities[s->commodities[i]].id);
}

static void print_commodities(FILE *f, const sf_model *m)
{
    const sf_scenario *sc = m->sc;

    fprintf(f, "\nCommodities, in clearing order\n");
    fprintf(f, "  %-3s %-16s %-12s %10s %10s\n", "#", "id", "unit",
            "elasticity", "price");
    for (size_t k = 0; k < m->n_commodities; k++) {
        const sf_commodity *c = &sc->commodities[m->order[k]];
        fprintf(f, "  %-3zu %-16s %-12s %10g %10g\n", k + 1, c->id, c->unit,
                c->substitution_elasticity, c->price);
    }
}

static void print_nodes(FILE *f, const sf_model *m)
{
    const sf_scenario *sc = m->sc;

    fprintf(f, "\nNodes (capacity and demand per year)\n");
    fprintf(f, "  %-8s %-18s %-7s %-28s %12s  %s\n", "kind", "id", "country",
            "input -> output", "capacity", "notes");
    for (int kind = 0; kind < SF_NODE_KIND_COUNT; kind++) {
        for (size_t i = 0; i < sc->n_nodes; i++) {
            const sf_node *n = &sc->nodes[i];
            char flow[64], notes[160] = "";
            if ((int)n->kind != kind)
                continue;
            snprintf(flow, sizeof flow, "%s -> %s",
                     n->input >= 0 ? sc->commodities[n->input].id : "-",
                     n->output >= 0 ? sc->commodities[n->output].id : "-");
            if (n->kind == SF_NODE_DEMAND)
                snprintf(notes, sizeof notes, "demand %g, growth %g/yr%s",
                         n->demand, n->growth,
                         n->volatility > 0 ? ", volatile" : "");
            else if (n->kind != SF_NODE_MINE)
                snprintf(notes, sizeof notes, "yield %g, buffer %g months",
                         n->yield, n->input_buffer_months);
            if (n->defined_by_policy >= 0) {
                size_t len = strlen(notes);
                snprintf(notes + len, sizeof notes - len,
                         "%sbuilt by policy '%s'", len ? "; " : "",
                         sc->policies[n->defined_by_policy].name);
            }
            if (n->kind == SF_NODE_DEMAND)
                fprintf(f, "  %-8s %-18s %-7s %-28s %12s  %s\n",
                        sf_node_kind_name(n->kind), n->id,
                        sc->countries[n->country], flow, "", notes);
            else
                fprintf(f, "  %-8s %-18s %-7s %-28s %12g  %s\n",
                        sf_node_kind_name(n->kind), n->id,
                        sc->countries[n->country], flow, n->capacity, notes);
        }
    }
}

/* Capacity of the scenario's own producers of each commodity against what
 * its buyers would take at full rate (converters' input at nameplate,
 * demand nodes' demand at t = 0), per year. */
static void print_balance(FILE *f, const sf_model *m)
{
    const sf_scenario *sc = m->sc;

    fprintf(f, "\nSupply balance at month 0 (per year, scenario nodes only)\n");
    fprintf(f, "  %-16s %14s %14s %9s\n", "commodity", "capacity",
            "full-rate need", "ratio");
    /* One pass over the nodes (summed in node order, as per commodity). */
    double *sum = calloc(2 * (m->n_commodities + 1), sizeof *sum);
    if (sum == NULL) {
        fprintf(f, "  (out of memory)\n");
        return;
    }
    for (size_t i = 0; i < sc->n_nodes; i++) {
        const sf_node *n = &sc->nodes[i];
        if (n->defined_by_policy >= 0)
            continue;
        if (n->output >= 0)
            sum[2 * (size_t)n->output] += n->capacity;
        if (n->input >= 0)
            sum[2 * (size_t)n->input + 1] +=
                n->kind == SF_NODE_DEMAND ? n->demand : n->capacity / n->yield;
    }
    for (size_t k = 0; k < m->n_commodities; k++) {
        int c = m->order[k];
        double supply = sum[2 * (size_t)c], need = sum[2 * (size_t)c + 1];
        if (need > 0)
            fprintf(f, "  %-16s %14.6g %14.6g %9.3f\n", sc->commodities[c].id,
                    supply, need, supply / need);
        else
            fprintf(f, "  %-16s %14.6g %14.6g %9s\n", sc->commodities[c].id,
                    supply, need, "-");
    }
    free(sum);
}

/* A distribution as text; a fixed one as its plain number. */
static void dist_text(const sf_dist *d, char *buf, size_t n)
{
    if (d->kind == SF_DIST_FIXED)
        snprintf(buf, n, "%g", d->p[0]);
    else
        sf_dist_format(d, buf, n);
}

static void print_timing(FILE *f, const sf_shock *s)
{
    char buf[128];

    if (s->scheduled) {
        fprintf(f, "months %d-%d", s->start_month,
                s->start_month + s->duration_months - 1);
    } else {
        dist_text(&s->duration, buf, sizeof buf);
        fprintf(f, "hazard %g/yr, duration %s months", s->hazard_per_year,
                buf);
    }
    dist_text(&s->severity, buf, sizeof buf);
    fprintf(f, ", %s %s", s->kind == SF_SHOCK_TARIFF ? "rate" : "severity",
            buf);
}

static void print_shock(FILE *f, const sf_model *m, size_t k)
{
    const sf_scenario *sc = m->sc;
    const sf_shock *s = &sc->shocks[k];

    fprintf(f, "  %-18s %-18s ", s->id, sf_shock_kind_name(s->kind));
    switch (s->kind) {
    case SF_SHOCK_EXPORT_RESTRICTION:
        print_country_set(f, sc, &s->exporter, "all");
        fputs(" -> ", f);
        print_country_set(f, sc, &s->targets, "all foreign");
        if (s->except.n > 0) {
            fputs(" except ", f);
            print_country_set(f, sc, &s->except, "all");
        }
        fputs(" (", f);
        print_commodity_list(f, sc, s);
        fputs(")", f);
        break;
    case SF_SHOCK_TARIFF:
        fputs("on ", f);
        print_country_set(f, sc, &s->importer, "all");
        fputs(" imports from ", f);
        print_country_set(f, sc, &s->exporter, "all");
        fputs(" (", f);
        print_commodity_list(f, sc, s);
        fputs(")", f);
        break;
    case SF_SHOCK_OUTAGE:
    case SF_SHOCK_SURGE:
        fputs("nodes", f);
        break;
    }
    fputs("\n  ", f);
    fprintf(f, "%-18s %-18s ", "", "");
    print_timing(f, s);
    size_t nl = m->shock_links.start[k + 1] - m->shock_links.start[k];
    size_t nn = m->shock_nodes.start[k + 1] - m->shock_nodes.start[k];
    if (sf_shock_on_nodes(s->kind)) {
        fprintf(f, "; covers %zu node%s:", nn, nn == 1 ? "" : "s");
        for (size_t i = m->shock_nodes.start[k];
             i < m->shock_nodes.start[k + 1]; i++)
            fprintf(f, " %s", sc->nodes[m->shock_nodes.item[i]].id);
    } else {
        fprintf(f, "; covers %zu link%s", nl, nl == 1 ? "" : "s");
    }
    if (s->defined_by_policy >= 0)
        fprintf(f, "; policy tariff of '%s'",
                sc->policies[s->defined_by_policy].name);
    fputs("\n", f);
}

static void print_intervention(FILE *f, const sf_scenario *sc,
                               const sf_intervention *iv)
{
    char buf[128];
    const char *node = iv->node >= 0 ? sc->nodes[iv->node].id : "";

    fprintf(f, "    - %-18s ", sf_iv_kind_name(iv->kind));
    switch (iv->kind) {
    case SF_IV_STOCKPILE:
        fprintf(f, "at %s: %g units initial, capacity %g, ", node, iv->initial,
                iv->capacity);
        if (isinf(iv->max_release))
            fputs("release unlimited, ", f);
        else
            fprintf(f, "release %g/month, ", iv->max_release);
        fprintf(f, "refill %g/month", iv->refill);
        break;
    case SF_IV_OFFTAKE:
        fprintf(f, "%s takes %g of %s's supply first", node, iv->share,
                sc->nodes[iv->supplier].id);
        break;
    case SF_IV_NEW_CAPACITY:
        dist_text(&iv->lead_time, buf, sizeof buf);
        fprintf(f, "%s (%s, %s, %g/yr): lead time %s months, ramp %g, "
                   "completes with p = %g",
                node, sf_node_kind_name(sc->nodes[iv->node].kind),
                sc->countries[sc->nodes[iv->node].country],
                sc->nodes[iv->node].capacity, buf, iv->ramp_months,
                iv->completion_probability);
        break;
    case SF_IV_RECYCLING:
        fprintf(f, "%g of %s's need from secondary supply, ramp %g months",
                iv->share, node, iv->ramp_months);
        break;
    case SF_IV_DEMAND_REDUCTION:
        fprintf(f, "%s's need cut by %g", node, iv->share);
        break;
    case SF_IV_TARIFF:
        fprintf(f, "%s (see shocks)", sc->shocks[iv->shock].id);
        break;
    case SF_IV_HAZARD_MULTIPLIER:
        fprintf(f, "%s hazard x%g", sc->shocks[iv->shock].id, iv->factor);
        break;
    case SF_IV_PRICE_FLOOR:
        fprintf(f, "%s paid up to %g %s per unit sold", node, iv->floor,
                sc->currency);
        break;
    }
    fputs("\n", f);
}

static void print_scenario(FILE *f, const sf_model *m)
{
    const sf_scenario *sc = m->sc;

    fprintf(f, "%s — %s\n", sc->name, sc->file);
    if (sc->description[0])
        fprintf(f, "  %s\n", sc->description);
    fprintf(f, "  horizon %d months, %lld trials, seed %llu, %zu countries, "
               "%zu links\n",
            sc->horizon_months, sc->trials, sc->seed, sc->n_countries,
            m->n_links);
    print_commodities(f, m);
    print_nodes(f, m);
    print_balance(f, m);

    fprintf(f, "\nShocks and policy tariffs\n");
    if (sc->n_shocks == 0)
        fprintf(f, "  (none)\n");
    for (size_t k = 0; k < sc->n_shocks; k++)
        print_shock(f, m, k);

    if (sc->has_regimes) {
        const sf_regimes *r = &sc->regimes;
        fprintf(f, "\nRegimes (start %s)\n", r->states[r->start]);
        for (size_t a = 0; a < r->n_states; a++) {
            fprintf(f, "  %-12s ->", r->states[a]);
            for (size_t b = 0; b < r->n_states; b++)
                fprintf(f, " %s %.4g", r->states[b],
                        r->transition[a * r->n_states + b]);
            for (size_t k = 0; k < sc->n_shocks; k++) {
                double x = r->multiplier[a * sc->n_shocks + k];
                if (x != 1.0)
                    fprintf(f, "; %s hazard x%g", sc->shocks[k].id, x);
            }
            fputs("\n", f);
        }
    }

    if (sc->n_triggers > 0) {
        fprintf(f, "\nTriggers\n");
        for (size_t i = 0; i < sc->n_triggers; i++) {
            const sf_trigger *t = &sc->triggers[i];
            fprintf(f, "  %s active last month -> %s hazard x%g\n",
                    sc->shocks[t->when].id, sc->shocks[t->raises].id,
                    t->factor);
        }
    }

    fprintf(f, "\nPolicy mixes (all run on the same trials)\n");
    for (size_t p = 0; p < sc->n_policies; p++) {
        const sf_policy *pol = &sc->policies[p];
        fprintf(f, "  %s%s\n", pol->name, p == 0 ? " (baseline)" : "");
        for (size_t i = 0; i < pol->n_interventions; i++)
            print_intervention(f, sc, &pol->interventions[i]);
        if (pol->n_interventions == 0)
            fprintf(f, "    (no interventions)\n");
    }
}

/* --- warnings ------------------------------------------------------------ */

/* One warning, "FILE:LINE:COL: KEY.PATH: warning: ...", on f. */
static void warn(FILE *f, const char *file, sf_loc loc, const char *path,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void warn(FILE *f, const char *file, sf_loc loc, const char *path,
                 const char *fmt, ...)
{
    va_list ap;
    fprintf(f, "%s:%d:%d: %s: warning: ", file, loc.line, loc.col, path);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputs("\n", f);
}

/* Shocks and policy tariffs that cover no link (restrictions, tariffs) or
 * no node (outages): they change nothing. */
static size_t warn_empty_shocks(FILE *f, const sf_model *m, const char *file)
{
    const sf_scenario *sc = m->sc;
    size_t n = 0;

    for (size_t k = 0; k < sc->n_shocks; k++) {
        const sf_shock *s = &sc->shocks[k];
        bool outage = sf_shock_on_nodes(s->kind);
        const sf_csr *cov = outage ? &m->shock_nodes : &m->shock_links;
        char path[64];
        if (cov->start[k + 1] > cov->start[k])
            continue;
        snprintf(path, sizeof path, "shocks[%zu]", k);
        if (s->defined_by_policy >= 0) {
            const sf_policy *pol = &sc->policies[s->defined_by_policy];
            for (size_t i = 0; i < pol->n_interventions; i++)
                if (pol->interventions[i].kind == SF_IV_TARIFF &&
                    pol->interventions[i].shock == (int)k)
                    snprintf(path, sizeof path,
                             "policies[%d].interventions[%zu]",
                             s->defined_by_policy, i);
        }
        warn(f, file, s->loc, path, "%s '%s' covers no %s: it changes nothing",
             s->defined_by_policy >= 0 ? "policy tariff" : "shock", s->id,
             outage ? "node" : "supplier-buyer link");
        n++;
    }
    return n;
}

/* Commodities that some node produces and no node (of the scenario or
 * built by a policy) takes as input. */
static size_t warn_unbought(FILE *f, const sf_model *m, const char *file)
{
    const sf_scenario *sc = m->sc;
    size_t n = 0;

    for (size_t c = 0; c < sc->n_commodities; c++) {
        bool made = m->suppliers.start[c + 1] > m->suppliers.start[c];
        bool bought = m->buyers.start[c + 1] > m->buyers.start[c];
        char path[64];
        if (!made || bought)
            continue;
        snprintf(path, sizeof path, "commodities[%zu]", c);
        warn(f, file, sc->commodities[c].loc, path,
             "commodity '%s' is produced (by '%s'%s) but no node buys it",
             sc->commodities[c].id,
             sc->nodes[m->suppliers.item[m->suppliers.start[c]]].id,
             m->suppliers.start[c + 1] - m->suppliers.start[c] > 1
                 ? " and others"
                 : "");
        n++;
    }
    return n;
}

/* Demand nodes whose need cannot be met at month 0: one month of the
 * baseline mix's market at month-0 rates — nameplate capacity of the
 * nodes the baseline has, no shock, each demand node's month-0 need
 * (no growth, no volatility; less the baseline's demand reduction) — with
 * every stock empty and none being built up (no converter input buffer,
 * no producer output stock, no inventory or stockpile), so that only
 * capacity and the market's own rules (links, weights, yields, offtake,
 * prices) decide: short means priced out or rationed.
 * A node short by more than SF_SHORT_THRESHOLD of its need is reported:
 * stocks can only postpone that shortfall.  (A node that no supplier can
 * reach at all is an error when the scenario loads.) */
static size_t warn_short_at_month0(FILE *f, const sf_model *m, const char *file)
{
    const sf_scenario *sc = m->sc;
    sf_model flat = *m; /* the model without input buffers */
    sf_policy_plan pp;
    sf_market_ws w;
    sf_error err = {0};
    double *zero = calloc(m->n_nodes ? m->n_nodes : 1, sizeof *zero);
    size_t n = 0;

    memset(&pp, 0, sizeof pp);
    memset(&w, 0, sizeof w);
    if (zero == NULL || sf_market_ws_init(&w, m) != 0 ||
        sf_policy_plan_init(&pp, m, 0, &err) != 0) {
        fprintf(f, "%s: warning: month-0 balance not checked: out of memory\n",
                file);
        goto out;
    }
    flat.buffer_months = zero;
    sf_market_reset(&w, &flat, &pp);
    for (size_t i = 0; i < m->n_nodes; i++) {
        w.cap[i] = pp.built[i] && !pp.project[i] ? m->cap_month[i] : 0.0;
        w.f[i] = 1.0;
        w.in_stock[i] = w.out_stock[i] = w.level[i] = w.inv[i] = 0.0;
        w.calm_last[i] = false; /* no refill of any stock */
        w.need[i] = m->kind[i] == SF_NODE_DEMAND
                        ? m->demand_month[i] * (1.0 - pp.reduce_share[i])
                        : 0.0;
    }
    for (size_t l = 0; l < m->n_links; l++)
        w.tau[l] = 0.0;
    sf_market_link_weights(m, &w);
    for (size_t g = 0; g < m->n_groups; g++)
        w.quota[g] = -1.0;
    sf_market_month(&flat, &pp, 0, &w);
    for (size_t d = 0; d < m->n_demand; d++) {
        int j = m->demand_nodes[d];
        double need = w.need[j], s = w.shortfall[j];
        char path[64];
        if (!(s > SF_SHORT_THRESHOLD * need && s > 0.0))
            continue;
        snprintf(path, sizeof path, "nodes[%d]", j);
        warn(f, file, sc->nodes[j].loc, path,
             "demand node '%s' cannot be met at month 0: with no shock and "
             "no stocks, %.4g of its %.4g %s a month (%.1f %%) go short",
             sc->nodes[j].id, s, need, sc->commodities[sc->nodes[j].input].unit,
             100.0 * s / need);
        n++;
    }
out:
    sf_policy_plan_free(&pp);
    sf_market_ws_free(&w);
    free(zero);
    return n;
}

/* Every warning of a valid scenario, on f; returns how many. */
static size_t warn_scenario(FILE *f, const sf_model *m, const char *file)
{
    return warn_empty_shocks(f, m, file) + warn_unbought(f, m, file) +
           warn_short_at_month0(f, m, file);
}

static void check_usage(FILE *f)
{
    fprintf(f, "usage: shortfall check [--strict] SCENARIO.yaml...\n"
               "Validates each scenario file and prints what a run would "
               "simulate.\nA batch file: validates every variant and lists "
               "them (index, group, trials,\nseed, swept values).\n"
               "Warns (file:line:col: key.path: warning: ...) of a valid "
               "scenario's likely\nmistakes: a shock or policy tariff that "
               "covers nothing; a commodity that is\nproduced but bought by "
               "no node; a demand node that is short at month 0 even\nwith "
               "no shock and no stocks (docs/scenarios.md has the exact rule).\n"
               "  --strict   warnings make the exit status 2\n"
               "Exit 0 when every file is valid, 2 when one is "
               "not (one error line, file:line:col: key.path: message).\n");
}

/* A batch file: every variant loaded and compiled as a run would, before
 * any trial, then one line per variant.  The first line, "batch NAME: N
 * variants ...", is what scripts read (examples/slurm/submit-batch.sh). */
static int check_batch(FILE *f, const char *path, const char *text, size_t len,
                       size_t *warnings, sf_error *err)
{
    sf_batch b;
    sf_batch_variants vs;
    int ret;

    memset(&vs, 0, sizeof vs);
    if ((ret = sf_batch_load(&b, text, len, path, err)) != 0)
        return ret;
    if ((ret = sf_batch_expand(&b, path, &vs, err)) != 0)
        goto out;
    fprintf(f, "batch %s: %zu variants (%zu scenario file%s x %zu "
               "combination%s of %zu sweep%s, %s",
            b.name, vs.n, b.n_scenarios, b.n_scenarios == 1 ? "" : "s",
            sf_batch_combinations(&b), sf_batch_combinations(&b) == 1 ? "" : "s",
            b.n_sweeps, b.n_sweeps == 1 ? "" : "s", sf_batch_design_name(&b));
    if (b.design == SF_DESIGN_LHS || b.design == SF_DESIGN_SOBOL)
        fprintf(f, " of %zu samples", b.samples);
    fputs(")\n", f);
    for (size_t k = 0; k < b.n_sweeps; k++)
        fprintf(f, "  sweep_%zu  %s\n", k, b.sweeps[k].path);
    fprintf(f, "\n  %-7s %-24s %10s %10s  %s\n", "variant", "group", "trials",
            "seed", b.n_sweeps ? "swept values" : "");
    for (size_t v = 0; v < vs.n && ret == 0; v++) {
        sf_scenario sc;
        sf_model m;
        char label[1024];
        memset(&sc, 0, sizeof sc);
        memset(&m, 0, sizeof m);
        snprintf(label, sizeof label, "%s (variant %s)", vs.scenarios[v],
                 vs.groups[v]);
        ret = sf_scenario_load_string(&sc, vs.texts[v], strlen(vs.texts[v]),
                                      label, err);
        if (ret == 0)
            ret = sf_model_init(&m, &sc, err);
        if (ret == 0) {
            fprintf(f, "  %-7zu %-24s %10lld %10llu ", v, vs.groups[v],
                    b.trials > 0 ? b.trials : (long long)sc.trials,
                    (unsigned long long)(b.seed_given ? b.seed : sc.seed));
            for (size_t k = 0; k < b.n_sweeps; k++)
                fprintf(f, " %g", vs.values[v * b.n_sweeps + k]);
            fputs("\n", f);
            fflush(f);
            *warnings += warn_scenario(stderr, &m, label);
        }
        sf_model_free(&m);
        sf_scenario_free(&sc);
    }
out:
    sf_batch_variants_free(&vs);
    sf_batch_free(&b);
    return ret;
}

int sf_cmd_check(int argc, char **argv)
{
    int status = SF_EXIT_OK, n_files = 0;
    bool strict = false;
    size_t warnings = 0;

    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            check_usage(stdout);
            return SF_EXIT_OK;
        }
        if (strcmp(argv[a], "--strict") == 0) {
            strict = true;
            continue;
        }
        if (argv[a][0] == '-' && argv[a][1] != '\0') {
            fprintf(stderr, "shortfall check: unknown option '%s'\n", argv[a]);
            check_usage(stderr);
            return SF_EXIT_USAGE;
        }
    }
    for (int a = 1; a < argc; a++) {
        sf_scenario sc;
        sf_model m;
        sf_error err = {0};
        int ret;

        if (strcmp(argv[a], "--strict") == 0)
            continue;
        memset(&sc, 0, sizeof sc);
        memset(&m, 0, sizeof m);
        n_files++;
        size_t len = 0;
        char *text = sf_batch_read_text(argv[a], &len, &err);
        if (text != NULL && sf_batch_detect(text, len)) {
            if (n_files > 1)
                fputs("\n", stdout);
            ret = check_batch(stdout, argv[a], text, len, &warnings, &err);
            free(text);
            if (ret != 0) {
                fprintf(stderr, "%s\n", err.msg);
                if (status == SF_EXIT_OK)
                    status = sf_exit_code(ret);
            }
            continue;
        }
        free(text);
        err.code = 0;
        ret = sf_scenario_load(&sc, argv[a], &err);
        if (ret == 0)
            ret = sf_model_init(&m, &sc, &err);
        if (ret == 0) {
            if (n_files > 1)
                fputs("\n", stdout);
            print_scenario(stdout, &m);
            fflush(stdout);
            warnings += warn_scenario(stderr, &m, argv[a]);
        } else {
            fprintf(stderr, "%s\n", err.msg);
            if (status == SF_EXIT_OK)
                status = sf_exit_code(ret);
        }
        sf_model_free(&m);
        sf_scenario_free(&sc);
    }
    if (n_files == 0) {
        check_usage(stderr);
        return SF_EXIT_USAGE;
    }
    if (strict && warnings > 0) {
        fprintf(stderr, "shortfall check: %zu warning%s (--strict)\n", warnings,
                warnings == 1 ? "" : "s");
        if (status == SF_EXIT_OK)
            status = SF_EXIT_INPUT;
    }
    return status;
}
