/*
 * clearing_ws.c — the by-supplier and by-group indices of a commodity's
 * market graph, and the clearing solver's workspace (models/clearing.c
 * solves).
 */
#include <stdlib.h>
#include <string.h>

#include "shortfall.h"
#include "shortfall/clearing.h"

void sf_market_graph_free(sf_market_graph *g)
{
    if (g == NULL)
        return;
    free(g->sup_node);
    free(g->buy_node);
    free(g->buy_start);
    free(g->lk_sup);
    free(g->lk_link);
    free(g->lk_gstart);
    free(g->lk_group);
    free(g->group_id);
    free(g->sup_start);
    free(g->sup_link);
    free(g->grp_start);
    free(g->grp_link);
    memset(g, 0, sizeof *g);
}

/* Groups the items 0..n-1 by row_of (counting sort, stable). */
static int group_by(size_t n_rows, size_t n, const int *row_of,
                    size_t **start, int **item)
{
    size_t *fill;

    *start = calloc(n_rows + 1, sizeof **start);
    *item = malloc((n ? n : 1) * sizeof **item);
    fill = calloc(n_rows + 1, sizeof *fill);
    if (*start == NULL || *item == NULL || fill == NULL) {
        free(fill);
        return SF_ERR_NOMEM;
    }
    for (size_t k = 0; k < n; k++)
        (*start)[row_of[k] + 1]++;
    for (size_t r = 0; r < n_rows; r++)
        (*start)[r + 1] += (*start)[r];
    memcpy(fill, *start, (n_rows + 1) * sizeof *fill);
    for (size_t k = 0; k < n; k++)
        (*item)[fill[row_of[k]]++] = (int)k;
    free(fill);
    return 0;
}

int sf_market_graph_index(sf_market_graph *g)
{
    int ret;
    size_t n_member = g->lk_gstart[g->nl];
    int *row = malloc((n_member ? n_member : 1) * sizeof *row);
    int *link_of = malloc((n_member ? n_member : 1) * sizeof *link_of);

    if (row == NULL || link_of == NULL) {
        ret = SF_ERR_NOMEM;
        goto out;
    }
    if ((ret = group_by(g->ns, g->nl, g->lk_sup, &g->sup_start,
                        &g->sup_link)) != 0)
        goto out;
    for (size_t k = 0; k < g->nl; k++)
        for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++) {
            row[x] = g->lk_group[x];
            link_of[x] = (int)k;
        }
    int *members = NULL;
    if ((ret = group_by(g->ng, n_member, row, &g->grp_start, &members)) != 0)
        goto out;
    /* members index the memberships; the group lists want links. */
    for (size_t x = 0; x < n_member; x++)
        members[x] = link_of[members[x]];
    g->grp_link = members;
out:
    free(row);
    free(link_of);
    return ret;
}

int sf_clearing_ws_init(sf_clearing_ws *w, size_t max_suppliers,
                        size_t max_groups, size_t max_links,
                        size_t max_buyers)
{
    size_t nv = max_suppliers + max_groups;
    size_t v1 = nv ? nv : 1, l1 = max_links ? max_links : 1;
    size_t b1 = max_buyers ? max_buyers : 1;
    size_t s1 = max_suppliers ? max_suppliers : 1;
    size_t g1 = max_groups ? max_groups : 1;
    double **var_arrays[] = {&w->v,    &w->lo,   &w->hi,   &w->r,    &w->phi,
                             &w->step, &w->vtry, &w->h,    &w->size};
    double **link_arrays[] = {&w->a,    &w->dq_y,
                              &w->dq_g, &w->order, &w->lfac};

    memset(w, 0, sizeof *w);
    w->max_vars = nv;
    w->max_links = max_links;
    w->max_buyers = max_buyers;
    for (size_t k = 0; k < sizeof var_arrays / sizeof *var_arrays; k++)
        if ((*var_arrays[k] = calloc(v1, sizeof(double))) == NULL)
            return SF_ERR_NOMEM;
    for (size_t k = 0; k < sizeof link_arrays / sizeof *link_arrays; k++)
        if ((*link_arrays[k] = calloc(l1, sizeof(double))) == NULL)
            return SF_ERR_NOMEM;
    if ((w->jac = calloc(v1 * v1, sizeof(double))) == NULL ||
        (w->is_bound = calloc(v1, sizeof(int))) == NULL ||
        (w->mark = calloc(v1, sizeof(int))) == NULL ||
        (w->perm = calloc(v1, sizeof(int))) == NULL ||
        (w->touched = calloc(v1, sizeof(int))) == NULL ||
        (w->pinned = calloc(v1, sizeof(int))) == NULL ||
        (w->open = calloc(l1, sizeof(int))) == NULL ||
        (w->pbar = calloc(b1, sizeof(double))) == NULL ||
        (w->price = calloc(s1, sizeof(double))) == NULL ||
        (w->efac = calloc(s1, sizeof(double))) == NULL ||
        (w->log_avail = calloc(s1, sizeof(double))) == NULL ||
        (w->gfac = calloc(g1, sizeof(double))) == NULL ||
        (w->gjac = calloc(g1 * v1, sizeof(double))) == NULL ||
        (w->gw = calloc(g1, sizeof(double))) == NULL ||
        (w->uncapped = calloc(g1, sizeof(int))) == NULL ||
        (w->bind = calloc(l1, sizeof(int))) == NULL ||
        (w->degenerate = calloc(v1, sizeof(int))) == NULL ||
        (w->capped_over = calloc(v1, sizeof(int))) == NULL ||
        (w->rem = calloc(b1, sizeof(double))) == NULL ||
        (w->load = calloc(s1 + g1, sizeof(double))) == NULL ||
        (w->spare = calloc(s1, sizeof(double))) == NULL ||
        (w->room = calloc(g1, sizeof(double))) == NULL ||
        (w->closed_group = calloc(g1, sizeof(bool))) == NULL ||
        (w->olink = calloc(l1, sizeof(int))) == NULL ||
        (w->ogrouped = calloc(l1, sizeof(int))) == NULL ||
        (w->glink = calloc(l1, sizeof(int))) == NULL ||
        (w->ostart = calloc(b1 + 1, sizeof(size_t))) == NULL ||
        (w->solink = calloc(l1, sizeof(int))) == NULL ||
        (w->sostart = calloc(s1 + 1, sizeof(size_t))) == NULL ||
        (w->bsum = calloc(b1, sizeof(double))) == NULL)
        return SF_ERR_NOMEM;
    return 0;
}

void sf_clearing_ws_free(sf_clearing_ws *w)
{
    if (w == NULL)
        return;
    double *d[] = {w->v,    w->lo,    w->hi,   w->r,    w->phi,  w->step,
                   w->vtry, w->h,     w->size, w->jac,  w->a,
                   w->pbar, w->dq_y,  w->dq_g, w->order, w->load, w->spare,
                   w->room, w->rem,   w->lfac, w->price, w->gfac,
                   w->gjac, w->gw,    w->efac, w->log_avail, w->bsum};
    for (size_t k = 0; k < sizeof d / sizeof *d; k++)
        free(d[k]);
    free(w->is_bound);
    free(w->mark);
    free(w->perm);
    free(w->touched);
    free(w->pinned);
    free(w->open);
    free(w->closed_group);
    free(w->uncapped);
    free(w->bind);
    free(w->degenerate);
    free(w->capped_over);
    free(w->olink);
    free(w->ogrouped);
    free(w->glink);
    free(w->ostart);
    free(w->solink);
    free(w->sostart);
    memset(w, 0, sizeof *w);
}
