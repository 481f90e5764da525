/*
 * capture.c — records every sf_clearing_solve call of a real run (graph
 * once per commodity, then each call's inputs, start and exp_memo) to the
 * file named by $SF_CAPTURE, for bench/lanes/lanes.c to replay.  Linked
 * into bin/shortfall's objects with -Wl,--wrap=sf_clearing_solve (see
 * bench/lanes/README.md); single thread only (--threads 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "shortfall/clearing.h"

void __real_sf_clearing_solve(const sf_market_graph *g, const sf_clearing_in *in,
                              sf_clearing_out *out, sf_clearing_ws *w);

static FILE *cap;
static const sf_market_graph *seen[16];
static int n_seen;

static void wr(const void *p, size_t sz, size_t n)
{
    if (n && fwrite(p, sz, n, cap) != n)
        abort();
}

void __wrap_sf_clearing_solve(const sf_market_graph *g, const sf_clearing_in *in,
                              sf_clearing_out *out, sf_clearing_ws *w)
{
    if (!cap) {
        const char *fn = getenv("SF_CAPTURE");
        cap = fopen(fn ? fn : "capture.bin", "wb");
        if (!cap)
            abort();
    }
    int tag = -1;
    for (int i = 0; i < n_seen; i++)
        if (seen[i] == g)
            tag = i;
    if (tag < 0) {
        tag = n_seen;
        seen[n_seen++] = g;
        int32_t hdr[2] = {-1, tag};
        wr(hdr, sizeof hdr[0], 2);
        uint64_t sz[4] = {g->ns, g->nb, g->nl, g->ng};
        wr(sz, sizeof sz[0], 4);
        uint64_t t[1024];
        for (size_t b = 0; b <= g->nb; b++)
            t[b] = g->buy_start[b];
        wr(t, sizeof t[0], g->nb + 1);
        wr(g->lk_sup, sizeof(int), g->nl);
        for (size_t k = 0; k <= g->nl; k++)
            t[k] = g->lk_gstart[k];
        wr(t, sizeof t[0], g->nl + 1);
        wr(g->lk_group, sizeof(int), g->lk_gstart[g->nl]);
    }
    int32_t hdr[2] = {tag, (in->floor_y ? 1 : 0) | (in->exp_memo ? 2 : 0)};
    wr(hdr, sizeof hdr[0], 2);
    double s[4] = {in->P, in->sigma, in->beta, in->M};
    wr(s, sizeof s[0], 4);
    wr(in->avail, 8, g->ns);
    wr(in->plan, 8, g->nb);
    wr(in->eps, 8, g->nb);
    wr(in->attr, 8, g->nl);
    wr(in->tau1, 8, g->nl);
    wr(in->quota, 8, g->ng);
    if (in->floor_y)
        wr(in->floor_y, 8, g->ns);
    if (in->exp_memo)
        wr(in->exp_memo, 8, 3 * g->ns + 2 * g->nb + 2 * g->nl);
    wr(out->y, 8, g->ns);
    wr(out->lam, 8, g->ng);
    __real_sf_clearing_solve(g, in, out, w);
}
