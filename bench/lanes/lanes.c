/*
 * lanes.c — PROTOTYPE benchmark (bench/lanes/README.md): replays the
 * clearings of one commodity captured from a real run (capture.c) through
 * sf_clearing_solve and through the W-lane lockstep solver of lockstep.h,
 * checks every lane's outputs bit for bit against the scalar solve, and
 * times both.  Usage: lanes CAPTURE TRIALS [REPEATS] [TAG]
 * (TRIALS: the run's -n; TAG: the commodity, default the one with the
 * most clearings).  Not part of the project's build or tests.
 */
#define _POSIX_C_SOURCE 200809L
#include "../../models/clearing.c"
#include "lockstep.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

typedef struct {
    int tag, flags;
    double s[4];
    double *avail, *plan, *eps, *attr, *tau1, *quota, *floor_y, *memo, *y, *lam;
} rec;

static sf_market_graph graphs[16];
static rec *recs;
static size_t n_recs, cap_recs;

static void rd(FILE *f, void *p, size_t sz, size_t n)
{
    if (n && fread(p, sz, n, f) != n) {
        fprintf(stderr, "short capture file\n");
        exit(1);
    }
}

static double *rdd(FILE *f, size_t n)
{
    double *p = malloc((n ? n : 1) * sizeof *p);
    rd(f, p, sizeof *p, n);
    return p;
}

static void load(const char *fn)
{
    FILE *f = fopen(fn, "rb");
    if (!f) {
        perror(fn);
        exit(1);
    }
    int32_t hdr[2];
    while (fread(hdr, sizeof hdr[0], 2, f) == 2) {
        if (hdr[0] < 0) {
            sf_market_graph *g = &graphs[hdr[1]];
            uint64_t sz[4], t;
            rd(f, sz, sizeof sz[0], 4);
            g->ns = sz[0], g->nb = sz[1], g->nl = sz[2], g->ng = sz[3];
            g->buy_start = malloc((g->nb + 1) * sizeof(size_t));
            for (size_t b = 0; b <= g->nb; b++)
                rd(f, &t, 8, 1), g->buy_start[b] = t;
            g->lk_sup = malloc((g->nl + 1) * sizeof(int));
            rd(f, g->lk_sup, sizeof(int), g->nl);
            g->lk_gstart = malloc((g->nl + 1) * sizeof(size_t));
            for (size_t k = 0; k <= g->nl; k++)
                rd(f, &t, 8, 1), g->lk_gstart[k] = t;
            g->lk_group = malloc((g->lk_gstart[g->nl] + 1) * sizeof(int));
            rd(f, g->lk_group, sizeof(int), g->lk_gstart[g->nl]);
            if (sf_market_graph_index(g) != 0)
                exit(1);
            continue;
        }
        sf_market_graph *g = &graphs[hdr[0]];
        if (n_recs == cap_recs) {
            cap_recs = cap_recs ? 2 * cap_recs : 1024;
            recs = realloc(recs, cap_recs * sizeof *recs);
        }
        rec *r = &recs[n_recs++];
        r->tag = hdr[0], r->flags = hdr[1];
        rd(f, r->s, 8, 4);
        r->avail = rdd(f, g->ns);
        r->plan = rdd(f, g->nb);
        r->eps = rdd(f, g->nb);
        r->attr = rdd(f, g->nl);
        r->tau1 = rdd(f, g->nl);
        r->quota = rdd(f, g->ng);
        r->floor_y = r->flags & 1 ? rdd(f, g->ns) : NULL;
        r->memo = r->flags & 2 ? rdd(f, 3 * g->ns + 2 * g->nb + 2 * g->nl) : NULL;
        r->y = rdd(f, g->ns);
        r->lam = rdd(f, g->ng);
    }
    fclose(f);
}

/* One clearing's in/out memory. */
typedef struct {
    sf_clearing_in in;
    sf_clearing_out out;
    double *memo, *mem;
} slot;

static size_t memo_len(const sf_market_graph *g)
{
    return 3 * g->ns + 2 * g->nb + 2 * g->nl;
}

static void slot_init(slot *s, const sf_market_graph *g)
{
    size_t n = 2 * g->ns + g->ng + 3 * g->nl + 2 * g->nb + g->ns;
    s->mem = calloc(n, sizeof(double));
    s->memo = calloc(memo_len(g), sizeof(double));
    double *p = s->mem;
    s->out.y = p, p += g->ns;
    s->out.lam = p, p += g->ng;
    s->out.x = p, p += g->nl;
    s->out.q = p, p += g->nl;
    s->out.pre = p, p += g->nl;
    s->out.demand = p, p += g->nb;
    s->out.recv = p, p += g->nb;
    s->out.sold = p, p += g->ns;
}

/* The clearing's inputs, its start, its memo as captured; every output
 * array 0 (q and pre of closed links keep it). */
static void slot_load(slot *s, const sf_market_graph *g, const rec *r)
{
    size_t n = 2 * g->ns + g->ng + 3 * g->nl + 2 * g->nb + g->ns;
    memset(s->mem, 0, n * sizeof(double));
    s->in = (sf_clearing_in){r->s[0], r->s[1], r->s[2], r->s[3], r->avail,
                             r->plan, r->eps, r->attr, r->tau1, r->quota,
                             r->floor_y, r->memo ? s->memo : NULL};
    if (r->memo)
        memcpy(s->memo, r->memo, memo_len(g) * sizeof(double));
    memcpy(s->out.y, r->y, g->ns * sizeof(double));
    memcpy(s->out.lam, r->lam, g->ng * sizeof(double));
    s->out.iterations = -1;
    s->out.residual = -1.0;
}

static bool same_out(const sf_market_graph *g, const slot *a, const slot *b)
{
    size_t n = 2 * g->ns + g->ng + 3 * g->nl + 2 * g->nb + g->ns;
    return memcmp(a->mem, b->mem, n * sizeof(double)) == 0 &&
           memcmp(&a->out.residual, &b->out.residual, sizeof(double)) == 0 &&
           a->out.iterations == b->out.iterations &&
           (!a->in.exp_memo ||
            memcmp(a->memo, b->memo, memo_len(g) * sizeof(double)) == 0);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static size_t *order;  /* the tag's records, trial by trial */
static size_t n_sets, H, TR;

/* The work: groups of W clearings (record indices) for the lockstep
 * solver, and single clearings for the scalar one. */
static size_t *grp, n_grp, *single, n_single;
/* LANES_ONLY_GROUPS=1: passes time the groups only (both solvers). */
static int only_groups;

/* A clearing's structure: setup's marked unknowns and open links, and
 * which quotas are in force. */
static size_t key_len;
static unsigned char *keys;
static int key_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = memcmp(keys + x * key_len, keys + y * key_len, key_len);
    return c ? c : (x > y) - (x < y);
}

/* by_key 0: W consecutive trials at each month (lk_solve falls back to
 * scalar for a group it does not cover); 1: at each month the trials'
 * clearings sorted by structure, runs of the same covered structure cut
 * into groups of W, the rest scalar. */
static void plan_work(const sf_market_graph *g, int by_key, slot *s,
                      sf_clearing_ws *ws)
{
    size_t nv = g->ns + g->ng;
    key_len = nv + g->nl + g->ng + 1;
    keys = calloc(n_sets * key_len, 1);
    grp = malloc(n_sets * sizeof *grp);
    single = malloc(n_sets * sizeof *single);
    n_grp = n_single = 0;
    for (size_t i = 0; i < n_sets; i++) {
        const rec *r = &recs[order[i]];
        unsigned char *k = keys + i * key_len;
        slot_load(s, g, r);
        setup(g, &s->in, &s->out, ws);
        bool q = false;
        for (size_t c = 0; c < g->ng; c++)
            k[nv + g->nl + c] = r->quota[c] > 0.0, q = q || r->quota[c] > 0.0;
        k[0] = q; /* (uncovered first) */
        for (size_t x = 0; x < nv; x++)
            k[1 + x] = (unsigned char)ws->mark[x];
        for (size_t x = 0; x < g->nl; x++)
            k[1 + nv + x] = (unsigned char)ws->open[x];
    }
    size_t *idx = malloc(TR * sizeof *idx);
    for (size_t t = 0; t < H; t++) {
        for (size_t tr = 0; tr < TR; tr++)
            idx[tr] = tr * H + t;
        if (!by_key) {
            size_t tr = 0;
            for (; tr + W <= TR; tr += W)
                for (int l = 0; l < W; l++)
                    grp[n_grp * W + (size_t)l] = idx[tr + (size_t)l], n_grp += l == W - 1;
            for (; tr < TR; tr++)
                single[n_single++] = idx[tr];
            continue;
        }
        qsort(idx, TR, sizeof *idx, key_cmp);
        for (size_t a = 0; a < TR;) {
            size_t e = a;
            while (e < TR && !memcmp(keys + idx[a] * key_len,
                                     keys + idx[e] * key_len, key_len))
                e++;
            bool covered = true;
            for (; covered && a + W <= e; a += W, n_grp++)
                for (int l = 0; l < W; l++)
                    grp[n_grp * W + (size_t)l] = idx[a + (size_t)l];
            for (; a < e; a++)
                single[n_single++] = idx[a];
        }
    }
    free(idx);
}

/* One pass over the work: 0 loads only, 1 scalar sf_clearing_solve for
 * every clearing, 2 lockstep for the groups and scalar for the singles.
 * check: compare each lockstep lane with a scalar solve.  Returns ns per
 * clearing. */
static double pass(const sf_market_graph *g, int mode, slot *s, slot *sc,
                   sf_clearing_ws *ws, lk_ws *L, lk_stats *st, size_t *match)
{
    double t0 = now();
    lk_lanes ln;
    const double *sy[W], *sl[W];
    for (size_t gi = 0; gi < n_grp; gi++) {
        for (int l = 0; l < W; l++) {
            const rec *r = &recs[order[grp[gi * W + (size_t)l]]];
            slot_load(&s[l], g, r);
            if (mode == 1)
                sf_clearing_solve(g, &s[l].in, &s[l].out, &ws[0]);
            ln.in[l] = &s[l].in, ln.out[l] = &s[l].out, ln.ws[l] = &ws[l];
            sy[l] = r->y, sl[l] = r->lam;
        }
        if (mode == 2)
            lk_solve(g, L, &ln, sy, sl, st);
        if (mode == 2 && sc)
            for (int l = 0; l < W; l++) {
                const rec *r = &recs[order[grp[gi * W + (size_t)l]]];
                slot_load(&sc[l], g, r);
                sf_clearing_solve(g, &sc[l].in, &sc[l].out, &ws[0]);
                if (same_out(g, &sc[l], &s[l]))
                    (*match)++;
                else if (st->lanes - (long)*match <= 5 * W)
                    fprintf(stderr, "MISMATCH set %zu: it %d/%d res %g/%g\n",
                            grp[gi * W + (size_t)l], sc[l].out.iterations,
                            s[l].out.iterations, sc[l].out.residual,
                            s[l].out.residual);
            }
    }
    if (only_groups)
        return (now() - t0) / (double)(n_grp * W);
    for (size_t i = 0; i < n_single; i++) {
        const rec *r = &recs[order[single[i]]];
        slot_load(&s[0], g, r);
        if (mode != 0)
            sf_clearing_solve(g, &s[0].in, &s[0].out, &ws[0]);
    }
    return (now() - t0) / (double)n_sets;
}

/* Every clearing's outputs (set order) to file fn: mode 1 all scalar,
 * 2 lockstep groups + scalar singles; for cmp across builds. */
static void dump(const sf_market_graph *g, int mode, slot *s, sf_clearing_ws *ws,
                 lk_ws *L, lk_stats *st, const char *fn)
{
    size_t n = 2 * g->ns + g->ng + 3 * g->nl + 2 * g->nb + g->ns;
    size_t rl = n + 2 + memo_len(g);
    double *all = calloc(n_sets * rl, sizeof(double));
    lk_lanes ln;
    const double *sy[W], *sl[W];
    size_t id[W];
    for (size_t gi = 0; gi <= n_grp + n_single; gi++) {
        int nl = 0;
        if (gi < n_grp)
            for (int l = 0; l < W; l++)
                id[nl++] = grp[gi * W + (size_t)l];
        else if (gi < n_grp + n_single)
            id[nl++] = single[gi - n_grp];
        for (int l = 0; l < nl; l++) {
            const rec *r = &recs[order[id[l]]];
            slot_load(&s[l], g, r);
            if (mode == 1 || nl < W)
                sf_clearing_solve(g, &s[l].in, &s[l].out, &ws[0]);
            ln.in[l] = &s[l].in, ln.out[l] = &s[l].out, ln.ws[l] = &ws[l];
            sy[l] = r->y, sl[l] = r->lam;
        }
        if (mode == 2 && nl == W)
            lk_solve(g, L, &ln, sy, sl, st);
        for (int l = 0; l < nl; l++) {
            double *d = all + id[l] * rl;
            memcpy(d, s[l].mem, n * sizeof(double));
            d[n] = s[l].out.residual;
            d[n + 1] = (double)s[l].out.iterations;
            memcpy(d + n + 2, s[l].memo, memo_len(g) * sizeof(double));
        }
    }
    FILE *f = fopen(fn, "wb");
    if (!f || fwrite(all, sizeof(double), n_sets * rl, f) != n_sets * rl)
        exit(1);
    fclose(f);
    free(all);
}

/* Every clearing scalar (for the iteration count), then the work with
 * each lockstep lane compared to a scalar solve of the same clearing. */
static void check(const sf_market_graph *g, slot *sa, slot *sb,
                  sf_clearing_ws *ws, lk_ws *L, lk_stats *st)
{
    size_t match = 0, iters = 0;
    for (size_t i = 0; i < n_sets; i++) {
        slot_load(&sa[0], g, &recs[order[i]]);
        sf_clearing_solve(g, &sa[0].in, &sa[0].out, &ws[0]);
        iters += (size_t)sa[0].out.iterations;
    }
    pass(g, 2, sb, sa, ws, L, st, &match);
    printf("identity: %zu of %ld lockstep lanes bitwise identical to sf_clearing_solve "
           "(y lam x q pre demand recv sold residual iterations exp_memo); "
           "%.3f Newton iterations per clearing over all %zu\n",
           match, st->lanes, (double)iters / (double)n_sets, n_sets);
    printf("lockstep: %ld groups, %ld lockstep iterations (%.3f per group; "
           "%.3f lane-iterations used per lockstep iteration of %d), "
           "%ld lane Newton steps scalar (pinned unknown), %ld lanes redone scalar\n",
           st->groups, st->iters_lockstep, (double)st->iters_lockstep / (double)st->groups,
           (double)st->iters_used / (double)st->iters_lockstep, W,
           st->newton_scalar, st->redo);
    printf("groups not covered: %ld (parameters %ld, "
           "open links or unknowns differ %ld); lanes redone after a failed "
           "line search (solve_one sweep) %ld\n",
           st->unc_param + st->unc_struct, st->unc_param, st->unc_struct, st->sweep);
}

/* Whether the replay is the run: see below. */
static void replay(const sf_market_graph *g, slot *sa, sf_clearing_ws *ws)
{
    /* The replay is the run: month t's solution (scalar, here) is
     * bit for bit the start the engine gave month t + 1. */
    size_t same = 0, n = 0;
    for (size_t tr = 0; tr < TR; tr++)
        for (size_t t = 0; t + 1 < H; t++, n++) {
            slot_load(&sa[0], g, &recs[order[tr * H + t]]);
            sf_clearing_solve(g, &sa[0].in, &sa[0].out, &ws[0]);
            const rec *nx = &recs[order[tr * H + t + 1]];
            /* (models/market.c starts a quota not in force at 0) */
            bool ok = !memcmp(sa[0].out.y, nx->y, g->ns * sizeof(double));
            for (size_t c = 0; c < g->ng; c++) {
                double want = nx->quota[c] > 0.0 ? sa[0].out.lam[c] : 0.0;
                ok = ok && !memcmp(&want, &nx->lam[c], sizeof want);
            }
            same += ok;
        }
    printf("replay: %zu of %zu solutions are bit for bit the next month's "
           "captured start\n", same, n);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: lanes CAPTURE TRIALS [REPEATS] [TAG] [MODE]\n");
        return 2;
    }
    load(argv[1]);
    TR = (size_t)atol(argv[2]);
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    int tag = argc > 4 ? atoi(argv[4]) : -1;
    const char *mode = argc > 5 ? argv[5] : "all";
    if (tag < 0) {
        size_t cnt[16] = {0}, best = 0;
        for (size_t i = 0; i < n_recs; i++)
            cnt[recs[i].tag]++;
        for (int k = 0; k < 16; k++)
            if (cnt[k] > best)
                best = cnt[k], tag = k;
    }
    const sf_market_graph *g = &graphs[tag];
    order = malloc(n_recs * sizeof *order);
    for (size_t i = 0; i < n_recs; i++)
        if (recs[i].tag == tag)
            order[n_sets++] = i;
    /* (the mix's reference month, sf_market_reference, comes first) */
    size_t skip = n_sets % TR;
    if (skip) {
        memmove(order, order + skip, (n_sets - skip) * sizeof *order);
        n_sets -= skip;
        printf("skipped the first %zu clearing(s) (reference month)\n", skip);
    }
    H = n_sets / TR;
    if (H * TR != n_sets || skip > 3) {
        fprintf(stderr, "%zu clearings of tag %d are not %zu trials\n", n_sets,
                tag, TR);
        return 1;
    }
    /* LANES_NOQUOTA=1: every quota set to -1 (not in force), the covered
     * case throughout (the inputs change; both solvers see the same). */
    if (getenv("LANES_NOQUOTA") && atoi(getenv("LANES_NOQUOTA")))
        for (size_t i = 0; i < n_sets; i++)
            for (size_t c = 0; c < g->ng; c++)
                recs[order[i]].quota[c] = -1.0;
    size_t nflo = 0, nq = 0;
    for (size_t i = 0; i < n_sets; i++) {
        nflo += recs[order[i]].floor_y != NULL;
        for (size_t c = 0; c < g->ng; c++)
            nq += recs[order[i]].quota[c] > 0.0;
    }
    printf("W = %d; commodity tag %d: ns %zu nb %zu nl %zu ng %zu; %zu clearings "
           "= %zu trials x %zu months; with floors %zu; quotas in force %zu\n",
           W, tag, g->ns, g->nb, g->nl, g->ng, n_sets, TR, H, nflo, nq);

    slot sa[W], sb[W];
    sf_clearing_ws ws[W];
    for (int l = 0; l < W; l++) {
        slot_init(&sa[l], g);
        slot_init(&sb[l], g);
        if (sf_clearing_ws_init(&ws[l], g->ns, g->ng, g->nl, g->nb) != 0)
            return 1;
    }
    lk_ws L;
    lk_init(&L, g);
    lk_stats st = {0};

    int by_key = getenv("LANES_GROUP") && !strcmp(getenv("LANES_GROUP"), "key");
    plan_work(g, by_key, &sa[0], &ws[0]);
    only_groups = getenv("LANES_ONLY_GROUPS") && atoi(getenv("LANES_ONLY_GROUPS"));
    printf("grouping %s: %zu groups of %d lanes (%zu clearings, %.1f %%), "
           "%zu clearings scalar\n", by_key ? "by structure key" : "W consecutive trials",
           n_grp, W, n_grp * W, 100.0 * (double)(n_grp * W) / (double)n_sets, n_single);
    if (!strcmp(mode, "all") || !strcmp(mode, "check"))
        check(g, sa, sb, ws, &L, &st);
    if (!strcmp(mode, "all") || !strcmp(mode, "time")) {
        double tl[64], ts[64], t0[64];
        if (reps > 64)
            reps = 64;
        for (int r = 0; r < reps; r++) {
            t0[r] = pass(g, 0, sa, NULL, ws, &L, &st, NULL);
            ts[r] = pass(g, 1, sa, NULL, ws, &L, &st, NULL);
            tl[r] = pass(g, 2, sb, NULL, ws, &L, &st, NULL);
        }
        qsort(t0, (size_t)reps, sizeof(double), cmpd);
        qsort(ts, (size_t)reps, sizeof(double), cmpd);
        qsort(tl, (size_t)reps, sizeof(double), cmpd);
        double m0 = t0[reps / 2], m1 = ts[reps / 2], m2 = tl[reps / 2];
        printf("ns per clearing, median of %d alternating passes over %s %zu clearings: "
               "load only %.1f; scalar %.1f (solve %.1f); lockstep+singles %.1f (solve %.1f); "
               "speed-up of the solve %.2fx\n",
               reps, only_groups ? "the groups'" : "all", only_groups ? n_grp * W : n_sets, m0, m1, m1 - m0, m2, m2 - m0, (m1 - m0) / (m2 - m0));
    }
    if (!strncmp(mode, "dump-", 5))
        dump(g, !strcmp(mode, "dump-lanes") ? 2 : 1, sb, ws, &L, &st,
             getenv("LANES_DUMP") ? getenv("LANES_DUMP") : "lanes-dump.bin");
    if (!strcmp(mode, "replay"))
        replay(g, sa, ws);
    if (!strcmp(mode, "load"))
        pass(g, 0, sa, NULL, ws, &L, &st, NULL);
    if (!strcmp(mode, "scalar"))
        pass(g, 1, sa, NULL, ws, &L, &st, NULL);
    if (!strcmp(mode, "lanes"))
        pass(g, 2, sb, NULL, ws, &L, &st, NULL);
    return 0;
}
