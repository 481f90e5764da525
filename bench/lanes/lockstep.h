/*
 * lockstep.h — PROTOTYPE: the Newton loop of models/clearing.c run for W
 * clearings of the same commodity (same graph) in lockstep, one per
 * vector lane, each lane's results bitwise those of sf_clearing_solve.
 * Included by bench/lanes/lanes.c after models/clearing.c (it uses that
 * file's static setup, newton_step and ration).  Not part of the project.
 *
 * Covered in lockstep: evaluate (supplier terms, evaluate_buyers with
 * premia, the link and buyer memos, quotas capped and filled in
 * proportion, quota factors), jacobian (own price, gjac, quota-supply,
 * supply), newton_step when every marked unknown of the lane is free,
 * and the step/line search loop with per-lane acceptance.  Conditions,
 * checked per group by lk_covered (else every lane falls back to a
 * scalar sf_clearing_solve): every lane has the same open links and the
 * same marked unknowns (setup's structure) and the same P, sigma, beta,
 * M and floor presence.  A lane with a pinned unknown takes clearing.c's
 * newton_step on its own (its J gathered); a lane whose line search
 * fails or decreases too little (the solve_one sweep) is solved again by
 * sf_clearing_solve from its start.  setup and ration run per lane
 * (scalar); libm (exp, log) is called per lane.
 */
#ifndef W
#define W 4
#endif

typedef double vd __attribute__((vector_size(8 * W)));
typedef long long vm __attribute__((vector_size(8 * W)));

static inline vd sel(vm m, vd a, vd b)
{
    return (vd)(((vm)a & m) | ((vm)b & ~m));
}
static inline vd vsplat(double x)
{
    vd r;
    for (int l = 0; l < W; l++)
        r[l] = x;
    return r;
}
static inline bool any(vm m)
{
    long long o = 0;
    for (int l = 0; l < W; l++)
        o |= m[l];
    return o != 0;
}
static inline bool all_set(vm m)
{
    long long a = -1;
    for (int l = 0; l < W; l++)
        a &= m[l];
    return a == -1;
}
static inline vd vabs(vd a)
{
    return (vd)((vm)a & ~(vm)vsplat(-0.0));
}
/* max2 / min2 / clamp of clearing.c, lane by lane (same comparisons). */
static inline vd vmax2(vd a, vd b)
{
    return sel(a > b, a, b);
}
static inline vd vmin2(vd a, vd b)
{
    return sel(a < b, a, b);
}
static inline vd vclamp(vd x, vd lo, vd hi)
{
    return sel(x < lo, lo, sel(x > hi, hi, x));
}

typedef struct {
    size_t ns, nb, nl, nv, nm;
    int *mk;          /* [nm] marked unknowns (all suppliers here) */
    /* per buyer, the marked suppliers its open links reach (no repeats) */
    size_t *tstart;
    int *tlist;
    vd *v, *vtry, *lo, *hi, *step, *r, *phi, *size;
    vm *blo, *bhi;
    vd *log_avail, *floor_y, *price, *efac;
    vd *attr, *tau1, *a, *q, *pre, *x;
    vd *plan, *eps, *pbar, *bsum, *demand;
    vd *J, *A, *rhs, *h, *X;
    /* quotas: per link dq_y, dq_g, lfac, bind (group or -1); per group
     * quota, uncapped, capped_over, gfac, gw; gjac [ng][nv] */
    vd *dq_y, *dq_g, *lfac, *quota, *gfac, *gw, *gjac;
    vm *bind, *uncapped, *capov;
    size_t ng;
    vm *tm;
    double *sv; /* nv scalar scratch */
} lk_ws;

static void *lk_alloc(size_t n, size_t sz)
{
    size_t bytes = (n ? n : 1) * sz;
    bytes = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes);
    if (!p)
        abort();
    memset(p, 0, bytes);
    return p;
}

static void lk_init(lk_ws *L, const sf_market_graph *g)
{
    size_t ns = g->ns, nb = g->nb, nl = g->nl, nv = ns + g->ng;
    L->ns = ns, L->nb = nb, L->nl = nl, L->nv = nv;
    L->mk = lk_alloc(nv, sizeof(int));
    L->tstart = lk_alloc(nb + 1, sizeof(size_t));
    L->tlist = lk_alloc(nl * (1 + g->ng) + 1, sizeof(int));
    vd **vs[] = {&L->v, &L->vtry, &L->lo, &L->hi, &L->step, &L->r, &L->phi,
                 &L->size, &L->h, &L->X, &L->rhs};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
        *vs[i] = lk_alloc(nv, sizeof(vd));
    vd **ss[] = {&L->log_avail, &L->floor_y, &L->price, &L->efac};
    for (size_t i = 0; i < 4; i++)
        *ss[i] = lk_alloc(ns, sizeof(vd));
    vd **ls[] = {&L->attr, &L->tau1, &L->a, &L->q, &L->pre, &L->x};
    for (size_t i = 0; i < 6; i++)
        *ls[i] = lk_alloc(nl, sizeof(vd));
    vd **bs[] = {&L->plan, &L->eps, &L->pbar, &L->bsum, &L->demand};
    for (size_t i = 0; i < 5; i++)
        *bs[i] = lk_alloc(nb, sizeof(vd));
    L->J = lk_alloc(nv * nv, sizeof(vd));
    L->A = lk_alloc(nv * nv, sizeof(vd));
    L->blo = lk_alloc(nv, sizeof(vm));
    L->bhi = lk_alloc(nv, sizeof(vm));
    L->tm = lk_alloc(nv, sizeof(vm));
    L->ng = g->ng;
    L->dq_y = lk_alloc(nl, sizeof(vd));
    L->dq_g = lk_alloc(nl, sizeof(vd));
    L->lfac = lk_alloc(nl, sizeof(vd));
    L->bind = lk_alloc(nl, sizeof(vm));
    L->quota = lk_alloc(g->ng, sizeof(vd));
    L->gfac = lk_alloc(g->ng, sizeof(vd));
    L->gw = lk_alloc(g->ng, sizeof(vd));
    L->uncapped = lk_alloc(g->ng, sizeof(vm));
    L->capov = lk_alloc(nv, sizeof(vm));
    L->gjac = lk_alloc(g->ng * nv + 1, sizeof(vd));
    L->sv = lk_alloc(nv, sizeof(double));
}

/* The lanes' inputs, outputs and scalar workspaces (setup, ration,
 * fallbacks). */
typedef struct {
    const sf_clearing_in *in[W];
    sf_clearing_out *out[W];
    sf_clearing_ws *ws[W];
} lk_lanes;

/* supplier_terms + evaluate_buyers + evaluate of clearing.c, covered case,
 * for the lanes in mask (the others keep every stored value).  Returns
 * worst and merit per lane (meaningful in mask only). */
__attribute__((noinline)) static void lk_evaluate(const sf_market_graph *g, lk_ws *L, const lk_lanes *ln,
                        const vd *v, vm mask, vd *worst_out, vd *merit_out)
{
    const sf_clearing_in *in0 = ln->in[0];
    const sf_clearing_ws *w0 = ln->ws[0];
    size_t ns = g->ns, nb = g->nb;
    double P = in0->P, sigma = in0->sigma, cap = in0->M * in0->P;

    /* supplier_terms: libm per lane, memo per lane */
    for (size_t i = 0; i < ns; i++) {
        if (!w0->mark[i] && w0->sostart[i + 1] == w0->sostart[i])
            continue;
        for (int l = 0; l < W; l++) {
            if (!mask[l])
                continue;
            double vi = v[i][l], *memo = ln->in[l]->exp_memo;
            if (memo && vi == memo[i]) {
                L->price[i][l] = memo[ns + i];
                L->efac[i][l] = memo[2 * ns + i];
                continue;
            }
            double p = P * exp(vi), e = exp(-sigma * vi);
            L->price[i][l] = p;
            L->efac[i][l] = e;
            if (memo) {
                memo[i] = vi;
                memo[ns + i] = p;
                memo[2 * ns + i] = e;
            }
        }
    }
    for (size_t c = 0; c < g->ng; c++)
        L->uncapped[c] &= ~mask;
    for (size_t b = 0; b < nb; b++) {
        vd B = vsplat(0.0), Aq = vsplat(0.0);
        size_t o0 = w0->ostart[b], o1 = w0->ostart[b + 1];
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w0->olink[o];
            int i = g->lk_sup[k];
            vd p = L->price[i];
            vd a = L->attr[k] * L->efac[i], pre = p;
            if (w0->ogrouped[o]) {
                vd lam = vsplat(0.0);
                for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
                    lam += v[ns + (size_t)g->lk_group[x]];
                vm z = lam == 0.0;
                vd dqy = vsplat(1.0), dqg = P / p;
                if (!all_set(z)) {
                    vd raw = p + lam * P;
                    vd pr = vmin2(raw, vsplat(cap));
                    vm nz = ~z & mask;
                    size_t off = 3 * ns + 2 * nb;
                    for (int l = 0; l < W; l++) {
                        if (!nz[l])
                            continue;
                        double *lm = ln->in[l]->exp_memo;
                        lm = lm ? lm + off : NULL;
                        if (lm && pr[l] == lm[k]) {
                            a[l] = L->attr[k][l] * lm[g->nl + k];
                        } else {
                            double f = exp(-sigma * log(pr[l] / P));
                            a[l] = L->attr[k][l] * f;
                            if (lm) {
                                lm[k] = pr[l];
                                lm[g->nl + k] = f;
                            }
                        }
                    }
                    vm capd = raw >= cap;
                    dqy = sel(z, dqy, sel(capd, vsplat(0.0), p / raw));
                    dqg = sel(z, dqg, sel(capd, vsplat(0.0), P / raw));
                    pre = sel(z, p, pr);
                }
                L->dq_y[k] = sel(mask, dqy, L->dq_y[k]);
                L->dq_g[k] = sel(mask, dqg, L->dq_g[k]);
                vm unc = (~(lam > 0.0) | (pre < cap)) & mask;
                for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
                    L->uncapped[g->lk_group[x]] |= unc;
            }
            vd q = pre * L->tau1[k];
            L->pre[k] = sel(mask, pre, L->pre[k]);
            L->q[k] = sel(mask, q, L->q[k]);
            L->a[k] = sel(mask, a, L->a[k]);
            B += a;
            Aq += a * q;
        }
        L->bsum[b] = sel(mask, B, L->bsum[b]);
        vm nob = ~(B > 0.0);
        vd pbar = Aq / B;
        vd D = L->plan[b], f = vsplat(1.0);
        vm up = (pbar > P) & ~nob & mask;
        if (any(up)) {
            size_t off = 3 * ns;
            for (int l = 0; l < W; l++) {
                if (!up[l])
                    continue;
                double *bm = ln->in[l]->exp_memo;
                bm = bm ? bm + off : NULL;
                if (bm && pbar[l] == bm[b]) {
                    f[l] = bm[nb + b];
                } else {
                    f[l] = exp(-L->eps[b][l] * log(pbar[l] / P));
                    if (bm) {
                        bm[b] = pbar[l];
                        bm[nb + b] = f[l];
                    }
                }
            }
            D = sel(up, D * f, D);
        }
        L->pbar[b] = sel(mask, sel(nob, vsplat(cap), pbar), L->pbar[b]);
        L->demand[b] = sel(mask, D, L->demand[b]);
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w0->olink[o];
            vd a = L->a[k];
            vd xk = sel((a > 0.0) & ~nob, D * (a / B), vsplat(0.0));
            L->x[k] = sel(mask, xk, L->x[k]);
        }
    }
    /* evaluate: quota rows first, then the links' quota factors, then
     * the supplier rows */
    vd worst = vsplat(0.0), f = vsplat(0.0);
    for (size_t c = 0; c < g->ng; c++) {
        size_t k = ns + c;
        vd gf = vsplat(1.0);
        if (!w0->mark[k]) {
            L->gfac[c] = sel(mask, gf, L->gfac[c]);
            continue;
        }
        vd use = vsplat(0.0);
        for (size_t x = g->grp_start[c]; x < g->grp_start[c + 1]; x++)
            use += L->x[g->grp_link[x]];
        vd r = vsplat(NO_ORDERS);
        vm pos = (use > 0.0) & mask;
        for (int l = 0; l < W; l++)
            if (pos[l])
                r[l] = log(use[l] / L->quota[c][l]);
        vm co = ~L->uncapped[c] & (r > 0.0);
        vd vk = v[k];
        vd t = vk + r;
        vm bl = ~co & (t <= L->lo[k]), bh = co | (~bl & (t >= L->hi[k]));
        vd phi = sel(bl, vk - L->lo[k], sel(bh, vk - L->hi[k], -r));
        gf = sel(co, L->quota[c] / use, gf);
        L->gfac[c] = sel(mask, gf, L->gfac[c]);
        L->size[k] = sel(mask, use, L->size[k]);
        L->r[k] = sel(mask, r, L->r[k]);
        L->phi[k] = sel(mask, phi, L->phi[k]);
        L->blo[k] = (bl & mask) | (L->blo[k] & ~mask);
        L->bhi[k] = (bh & mask) | (L->bhi[k] & ~mask);
        L->capov[k] = (co & mask) | (L->capov[k] & ~mask);
        f += phi * phi;
        vd viol = sel(vk <= L->lo[k], vmax2(vsplat(0.0), r),
                      sel(vk >= L->hi[k], vmax2(vsplat(0.0), -r), vabs(r)));
        worst = vmax2(worst, sel(co, vsplat(0.0), viol));
    }
    for (size_t y = 0; y < w0->n_glink; y++) {
        size_t k = (size_t)w0->glink[y];
        vd fk = vsplat(1.0);
        vm bk = (vm)vsplat(0.0) - 1; /* -1 */
        for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++) {
            int c = g->lk_group[x];
            vm lt = L->gfac[c] < fk;
            fk = sel(lt, L->gfac[c], fk);
            bk = (lt & (long long)c) | (~lt & bk);
        }
        L->lfac[k] = sel(mask, fk, L->lfac[k]);
        L->bind[k] = (bk & mask) | (L->bind[k] & ~mask);
    }
    double beta = in0->beta;
    bool fl = in0->floor_y != NULL;
    for (size_t n = 0; n < L->nm; n++) {
        size_t k = (size_t)L->mk[n];
        if (k >= ns)
            continue;
        vd size = vsplat(0.0);
        for (size_t x = w0->sostart[k]; x < w0->sostart[k + 1]; x++) {
            int lk = w0->solink[x];
            size += L->x[lk] * L->lfac[lk];
        }
        vd vk = v[k];
        vd ys = fl ? vmax2(vk, L->floor_y[k]) : vk;
        vd log_s = L->log_avail[k] + vmin2(vsplat(0.0), beta * ys);
        vd r = vsplat(NO_ORDERS);
        vm pos = (size > 0.0) & mask;
        for (int l = 0; l < W; l++)
            if (pos[l])
                r[l] = log(size[l]) - log_s[l];
        vd t = vk + r;
        vm bl = t <= L->lo[k], bh = ~bl & (t >= L->hi[k]);
        vd phi = sel(bl, vk - L->lo[k], sel(bh, vk - L->hi[k], -r));
        L->r[k] = sel(mask, r, L->r[k]);
        L->size[k] = sel(mask, size, L->size[k]);
        L->phi[k] = sel(mask, phi, L->phi[k]);
        L->blo[k] = (bl & mask) | (L->blo[k] & ~mask);
        L->bhi[k] = (bh & mask) | (L->bhi[k] & ~mask);
        f += phi * phi;
        vd viol = sel(vk <= L->lo[k], vmax2(vsplat(0.0), r),
                      sel(vk >= L->hi[k], vmax2(vsplat(0.0), -r), vabs(r)));
        worst = vmax2(worst, viol);
    }
    *worst_out = worst;
    *merit_out = f;
}

/* Per buyer, the marked suppliers its open links reach (structure). */
static void lk_structure(const sf_market_graph *g, lk_ws *L,
                         const sf_clearing_ws *w0)
{
    size_t nt = 0;
    L->nm = 0;
    for (size_t k = 0; k < L->nv; k++)
        if (w0->mark[k])
            L->mk[L->nm++] = (int)k;
    for (size_t b = 0; b < g->nb; b++) {
        L->tstart[b] = nt;
        for (size_t o = w0->ostart[b]; o < w0->ostart[b + 1]; o++) {
            size_t k = (size_t)w0->olink[o];
            size_t n_ent = 1 + (g->lk_gstart[k + 1] - g->lk_gstart[k]);
            for (size_t e = 0; e < n_ent; e++) {
                int i = (int)link_entity(g, k, e);
                bool seen = !w0->mark[i];
                for (size_t x = L->tstart[b]; !seen && x < nt; x++)
                    seen = L->tlist[x] == i;
                if (!seen)
                    L->tlist[nt++] = i;
            }
        }
    }
    L->tstart[g->nb] = nt;
}

/* jacobian (+ jacobian_own_price, jacobian_quota_supply). */
__attribute__((noinline)) static void lk_jacobian(const sf_market_graph *g,
                                                  lk_ws *L, const lk_lanes *ln,
                                                  const vd *v)
{
    const sf_clearing_in *in0 = ln->in[0];
    const sf_clearing_ws *w0 = ln->ws[0];
    size_t ns = L->ns, nv = L->nv;
    double P = in0->P, sigma = in0->sigma;
    vd *J = L->J, *gj = L->gjac;

    /* (only the marked rows and columns are read; a loop of vector
     * stores rather than memset, which glibc does with rep stosb at this
     * size) */
    for (size_t a = 0; a < L->nm; a++)
        for (size_t c = 0; c < L->nm; c++)
            J[(size_t)L->mk[a] * nv + (size_t)L->mk[c]] = vsplat(0.0);
    for (size_t c = 0; c < L->ng; c++) {
        L->gw[c] = vsplat(0.0);
        for (size_t a = 0; a < L->nm; a++)
            gj[c * nv + (size_t)L->mk[a]] = vsplat(0.0);
    }
    for (size_t b = 0; b < g->nb; b++) {
        vd B = L->bsum[b], pbar = L->pbar[b], D = L->demand[b];
        vm bm = (B > 0.0) & (D > 0.0);
        if (!any(bm))
            continue;
        vd eps = sel(pbar > P, L->eps[b], vsplat(0.0));
        size_t o0 = w0->ostart[b], o1 = w0->ostart[b + 1];
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w0->olink[o];
            vd a = L->a[k];
            vm am = (a > 0.0) & bm;
            vd s = a / B;
            vd hk = sigma * s - eps * s * ((1.0 - sigma) * L->q[k] / pbar + sigma);
            size_t i = (size_t)g->lk_sup[k];
            if (w0->mark[i]) {
                L->tm[i] |= am;
                L->h[i] = sel(am, L->h[i] + hk * L->dq_y[k], L->h[i]);
                L->X[i] = sel(am, L->X[i] + L->x[k] * L->lfac[k], L->X[i]);
            }
            for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++) {
                size_t c = ns + (size_t)g->lk_group[x];
                if (!w0->mark[c])
                    continue;
                L->tm[c] |= am;
                L->h[c] = sel(am, L->h[c] + hk * L->dq_g[k], L->h[c]);
                L->X[c] = sel(am, L->X[c] + L->x[k], L->X[c]);
            }
        }
        for (size_t ta = L->tstart[b]; ta < L->tstart[b + 1]; ta++) {
            size_t r = (size_t)L->tlist[ta];
            vm rm = L->tm[r] & (L->size[r] > 0.0);
            vd xr = L->X[r] / L->size[r];
            vd *Jr = J + r * nv;
            for (size_t tc = L->tstart[b]; tc < L->tstart[b + 1]; tc++) {
                size_t j = (size_t)L->tlist[tc];
                Jr[j] = sel(rm & L->tm[j], Jr[j] + xr * L->h[j], Jr[j]);
            }
        }
        /* jacobian_own_price: -sigma [l = m] */
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w0->olink[o];
            vm am = (L->a[k] > 0.0) & bm;
            size_t n_ent = 1 + (g->lk_gstart[k + 1] - g->lk_gstart[k]);
            for (size_t e = 0; e < n_ent; e++) {
                size_t r = link_entity(g, k, e);
                if (!w0->mark[r])
                    continue;
                vm m = am & (L->size[r] > 0.0);
                vd xr = sigma * L->x[k] / L->size[r];
                if (e == 0)
                    xr *= L->lfac[k];
                for (size_t f = 0; f < n_ent; f++) {
                    size_t c = link_entity(g, k, f);
                    if (w0->mark[c])
                        J[r * nv + c] = sel(m, J[r * nv + c] - xr * (f == 0 ? L->dq_y[k] : L->dq_g[k]),
                                            J[r * nv + c]);
                }
            }
        }
        /* quotas filled in proportion: gw, then gjac */
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w0->olink[o];
            vm am = (L->a[k] > 0.0) & bm;
            for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++) {
                size_t c = (size_t)g->lk_group[x];
                vm m = am & (L->bind[k] == (long long)c);
                if (any(m))
                    L->gw[c] = sel(m, L->gw[c] + L->x[k] / L->size[ns + c], L->gw[c]);
            }
        }
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w0->olink[o];
            for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++) {
                size_t c = (size_t)g->lk_group[x];
                vm m = bm & (L->bind[k] == (long long)c) & (L->gw[c] != 0.0);
                if (!any(m))
                    continue;
                for (size_t ta = L->tstart[b]; ta < L->tstart[b + 1]; ta++) {
                    size_t j = (size_t)L->tlist[ta];
                    gj[c * nv + j] = sel(m & L->tm[j], gj[c * nv + j] + L->gw[c] * L->h[j],
                                         gj[c * nv + j]);
                }
                L->gw[c] = sel(m, vsplat(0.0), L->gw[c]);
            }
        }
        for (size_t ta = L->tstart[b]; ta < L->tstart[b + 1]; ta++) {
            size_t r = (size_t)L->tlist[ta];
            L->tm[r] = (vm)vsplat(0.0);
            L->h[r] = vsplat(0.0);
            L->X[r] = vsplat(0.0);
        }
    }
    /* jacobian_quota_supply */
    for (size_t y = 0; y < w0->n_glink; y++) {
        size_t k = (size_t)w0->glink[y];
        size_t i = (size_t)g->lk_sup[k];
        if (!w0->mark[i])
            continue;
        vm m0 = L->size[i] > 0.0;
        vd share = L->x[k] * L->lfac[k] / L->size[i];
        for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++) {
            size_t c = (size_t)g->lk_group[x];
            vm m = m0 & (L->bind[k] == (long long)c);
            if (!any(m))
                continue;
            for (size_t a = 0; a < L->nm; a++) {
                size_t j = (size_t)L->mk[a];
                J[i * nv + j] = sel(m, J[i * nv + j] - share * gj[c * nv + j], J[i * nv + j]);
            }
        }
    }
    /* Supply: S = A min(1, exp(beta max(v, floor))). */
    double beta = in0->beta;
    for (size_t n = 0; n < L->nm; n++) {
        size_t i = (size_t)L->mk[n];
        if (i >= ns)
            continue;
        vm m = v[i] < 0.0;
        if (in0->floor_y)
            m &= ~(v[i] <= L->floor_y[i]);
        J[i * nv + i] = sel(m, J[i * nv + i] - beta, J[i * nv + i]);
    }
}

/* newton_step for the lanes in mask.  Lanes with every marked unknown
 * free: Gaussian elimination in lockstep (pivot rows swapped per lane);
 * a lane with a pinned unknown: clearing.c's newton_step on its own
 * workspace.  Returns how many lanes took the scalar path. */
__attribute__((noinline)) static int lk_newton(const sf_market_graph *g, lk_ws *L, const lk_lanes *ln,
                     vm mask)
{
    size_t nv = L->nv, nf = L->nm;
    vm pinned = (vm)vsplat(0.0);
    for (size_t a = 0; a < nf; a++)
        pinned |= L->blo[L->mk[a]] | L->bhi[L->mk[a]];
    vm fast = mask & ~pinned;
    int n_scalar = 0;
    if (any(fast)) {
        vd *J = L->J, *A = L->A, *rhs = L->rhs, diag = vsplat(0.0);
        for (size_t a = 0; a < nf; a++)
            diag = vmax2(diag, vabs(J[(size_t)L->mk[a] * (nv + 1)]));
        vd shift = 1e-9 * (1.0 + diag);
        for (size_t a = 0; a < nf; a++)
            rhs[a] = -L->r[L->mk[a]];
        for (size_t a = 0; a < nf; a++) {
            size_t r = (size_t)L->mk[a];
            for (size_t c = 0; c < nf; c++)
                A[a * nf + c] = J[r * nv + (size_t)L->mk[c]];
            vd d = A[a * nf + a];
            A[a * nf + a] = d + sel(d > 0.0, shift, -shift);
        }
        for (size_t col = 0; col < nf; col++) {
            long long piv[W];
            bool swap = false;
            for (int l = 0; l < W; l++) {
                size_t p = col;
                for (size_t a = col + 1; a < nf; a++)
                    if (fabs(A[a * nf + col][l]) > fabs(A[p * nf + col][l]))
                        p = a;
                piv[l] = (long long)p;
                swap |= p != col;
            }
            if (swap)
                for (int l = 0; l < W; l++) {
                    size_t p = (size_t)piv[l];
                    if (p == col)
                        continue;
                    for (size_t c = 0; c < nf; c++) {
                        double t = A[col * nf + c][l];
                        A[col * nf + c][l] = A[p * nf + c][l];
                        A[p * nf + c][l] = t;
                    }
                    double t = rhs[col][l];
                    rhs[col][l] = rhs[p][l];
                    rhs[p][l] = t;
                }
            vd p = A[col * nf + col];
            vm z = p == 0.0;
            p = sel(z, -shift, p);
            A[col * nf + col] = p;
            for (size_t a = col + 1; a < nf; a++) {
                vd f = A[a * nf + col] / p;
                vm nz = f != 0.0;
                if (!any(nz))
                    continue;
                for (size_t c = col; c < nf; c++)
                    A[a * nf + c] = sel(nz, A[a * nf + c] - f * A[col * nf + c],
                                        A[a * nf + c]);
                rhs[a] = sel(nz, rhs[a] - f * rhs[col], rhs[a]);
            }
        }
        for (size_t a = nf; a-- > 0;) {
            vd s = rhs[a];
            for (size_t c = a + 1; c < nf; c++)
                s -= A[a * nf + c] * rhs[c];
            rhs[a] = s / A[a * nf + a];
        }
        for (size_t a = 0; a < nf; a++)
            L->step[L->mk[a]] = rhs[a];
    }
    vm slow = mask & pinned;
    for (int l = 0; l < W; l++) {
        if (!slow[l])
            continue;
        n_scalar++;
        sf_clearing_ws *w = ln->ws[l];
        for (size_t r = 0; r < nv; r++) {
            for (size_t c = 0; c < nv; c++)
                w->jac[r * nv + c] = L->J[r * nv + c][l];
            w->r[r] = L->r[r][l];
            w->is_bound[r] = L->blo[r][l] ? -1 : L->bhi[r][l] ? 1 : 0;
            L->sv[r] = L->v[r][l];
        }
        newton_step(g, w, L->sv);
        for (size_t r = 0; r < nv; r++)
            L->step[r][l] = w->step[r];
    }
    return n_scalar;
}

/* Counters over a run. */
typedef struct {
    long groups, lanes, newton_scalar, redo, iters_lockstep, iters_used;
    long unc_param, unc_quota, unc_struct, sweep; /* groups; lanes */
} lk_stats;

/* Whether the lanes (after a per-lane setup) fit the covered case. */
static bool lk_covered(const sf_market_graph *g, const lk_lanes *ln,
                       lk_stats *st)
{
    const sf_clearing_in *i0 = ln->in[0];
    const sf_clearing_ws *w0 = ln->ws[0];
    size_t nv = g->ns + g->ng;
    for (int l = 0; l < W; l++) {
        const sf_clearing_in *in = ln->in[l];
        const sf_clearing_ws *w = ln->ws[l];
        if (in->P != i0->P || in->sigma != i0->sigma || in->beta != i0->beta ||
            in->M != i0->M || !in->floor_y != !i0->floor_y)
            return st->unc_param++, false;
        for (size_t k = 0; k < nv; k++)
            if (w->mark[k] != w0->mark[k])
                return st->unc_struct++, false;
        for (size_t k = 0; k < g->nl; k++)
            if (w->open[k] != w0->open[k])
                return st->unc_struct++, false;
    }
    return true;
}

/* W clearings of graph g: each lane's outputs as sf_clearing_solve's.
 * start_y/start_lam: each lane's starting point (for a redo). */
__attribute__((noinline)) static void lk_solve(const sf_market_graph *g, lk_ws *L, const lk_lanes *ln,
                     const double *const *start_y,
                     const double *const *start_lam, lk_stats *st)
{
    size_t ns = g->ns, nv = L->nv;
    st->groups++;
    st->lanes += W;
    for (int l = 0; l < W; l++)
        setup(g, ln->in[l], ln->out[l], ln->ws[l]);
    if (!lk_covered(g, ln, st)) {
        for (int l = 0; l < W; l++) {
            st->redo++;
            sf_clearing_solve(g, ln->in[l], ln->out[l], ln->ws[l]);
        }
        return;
    }
    lk_structure(g, L, ln->ws[0]);
    for (int l = 0; l < W; l++) {
        const sf_clearing_in *in = ln->in[l];
        const sf_clearing_ws *w = ln->ws[l];
        for (size_t k = 0; k < nv; k++) {
            L->v[k][l] = w->v[k];
            L->lo[k][l] = w->lo[k];
            L->hi[k][l] = w->hi[k];
        }
        for (size_t i = 0; i < ns; i++) {
            L->log_avail[i][l] = w->mark[i] ? w->log_avail[i] : 0.0;
            if (in->floor_y)
                L->floor_y[i][l] = in->floor_y[i];
        }
        for (size_t k = 0; k < g->nl; k++) {
            L->attr[k][l] = in->attr[k];
            L->tau1[k][l] = in->tau1[k];
            L->pre[k][l] = ln->out[l]->pre[k];
            L->q[k][l] = ln->out[l]->q[k];
        }
        for (size_t b = 0; b < g->nb; b++) {
            L->plan[b][l] = in->plan[b];
            L->eps[b][l] = in->eps[b];
        }
        for (size_t c = 0; c < g->ng; c++)
            L->quota[c][l] = in->quota[c];
    }
    /* as setup: every link's flow and weight 0, factor 1, bound by none */
    for (size_t k = 0; k < g->nl; k++) {
        L->x[k] = L->a[k] = vsplat(0.0);
        L->lfac[k] = L->dq_y[k] = vsplat(1.0);
        L->bind[k] = (vm)vsplat(0.0) - 1;
    }
    vm all = vsplat(0.0) == 0.0;
    vd worst, merit, wt, tmerit;
    lk_evaluate(g, L, ln, L->v, all, &worst, &merit);
    int it[W] = {0};
    vm redo = ~all;
    vm active = worst > SF_CLEARING_TOL;
    while (any(active)) {
        st->iters_lockstep++;
        for (int l = 0; l < W; l++)
            it[l] += active[l] ? 1 : 0, st->iters_used += active[l] ? 1 : 0;
        vd merit_before = merit;
        lk_jacobian(g, L, ln, L->v);
        st->newton_scalar += lk_newton(g, L, ln, active);
        vd t = vsplat(1.0);
        vm hits = ~all;
        for (size_t n = 0; n < L->nm; n++) {
            size_t k = (size_t)L->mk[n];
            vd s = vclamp(L->step[k], vsplat(-STEP_CAP), vsplat(STEP_CAP));
            L->step[k] = s;
            vm fr = ~(L->blo[k] | L->bhi[k]);
            vd d = 1.0 * s, vk = L->v[k], hi = L->hi[k], lo = L->lo[k];
            vm up = fr & (vk + d > hi) & (vk < hi);
            vm dn = fr & ~up & (vk + d < lo) & (vk > lo);
            t = sel(up, vmin2(t, (hi - vk) / d), t);
            t = sel(dn, vmin2(t, (lo - vk) / d), t);
            hits |= up | dn;
        }
        vm pending = active, accepted = ~all;
        for (int halvings = 0; halvings < 30 && any(pending); halvings++) {
            for (size_t k = 0; k < nv; k++)
                L->vtry[k] = L->v[k];
            for (size_t n = 0; n < L->nm; n++) {
                size_t k = (size_t)L->mk[n];
                L->vtry[k] = vclamp(L->v[k] + t * 1.0 * L->step[k], L->lo[k],
                                    L->hi[k]);
            }
            lk_evaluate(g, L, ln, L->vtry, pending, &wt, &tmerit);
            vm ok = pending & ((tmerit <= (1.0 - 1e-4 * t) * merit) |
                               (halvings == 0 ? hits & (tmerit <= merit * (1.0 + 1e-12))
                                              : ~all));
            for (size_t k = 0; k < nv; k++)
                L->v[k] = sel(ok, L->vtry[k], L->v[k]);
            merit = sel(ok, tmerit, merit);
            worst = sel(ok, wt, worst);
            accepted |= ok;
            pending &= ~ok;
            t = sel(pending, t * 0.5, t);
        }
        /* The solve_one sweep: not in lockstep; those lanes are solved
         * again from their start by sf_clearing_solve. */
        vm sweep = active & (~accepted | (merit > 0.5 * merit_before));
        redo |= sweep;
        for (int l = 0; l < W; l++)
            st->sweep += sweep[l] ? 1 : 0;
        active &= ~sweep;
        for (int l = 0; l < W; l++)
            if (active[l] && !(worst[l] > SF_CLEARING_TOL &&
                               it[l] < SF_CLEARING_MAX_ITER))
                active[l] = 0;
    }
    for (int l = 0; l < W; l++) {
        sf_clearing_out *out = ln->out[l];
        sf_clearing_ws *w = ln->ws[l];
        if (redo[l]) {
            st->redo++;
            memcpy(out->y, start_y[l], ns * sizeof *out->y);
            memcpy(out->lam, start_lam[l], g->ng * sizeof *out->lam);
            sf_clearing_solve(g, ln->in[l], out, w);
            continue;
        }
        out->iterations = it[l];
        out->residual = worst[l];
        for (size_t i = 0; i < ns; i++)
            out->y[i] = L->v[i][l];
        for (size_t c = 0; c < g->ng; c++)
            out->lam[c] = L->v[ns + c][l];
        for (size_t o = 0; o < w->ostart[g->nb]; o++) {
            size_t k = (size_t)w->olink[o];
            out->x[k] = L->x[k][l];
            out->q[k] = L->q[k][l];
            out->pre[k] = L->pre[k][l];
            w->a[k] = L->a[k][l];
        }
        for (size_t b = 0; b < g->nb; b++)
            out->demand[b] = L->demand[b][l];
        ration(g, ln->in[l], out, w);
    }
}
