/*
 * config_fields.c — the loader's field readers (sim/config_loader.h): a
 * number, an integer, a string, an id or a name under a key, checked and
 * reported with the key path; names resolved through name maps, unknown
 * ones with a suggestion; lists without repeats; ids claimed once.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"

/* Makes room for need elements of size elem in *arr, zeroing new ones. */
int sf_ld_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    size_t n;
    void *p;

    if (need <= *cap)
        return 0;
    n = *cap > 0 ? 2 * *cap : 8;
    if (n < need)
        n = need;
    if (n > SIZE_MAX / elem)
        return SF_ERR_NOMEM;
    p = realloc(*arr, n * elem);
    if (p == NULL)
        return SF_ERR_NOMEM;
    memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
    *arr = p;
    *cap = n;
    return 0;
}

/* ---- A name → index table --------------------------------------------- */

static size_t hash_str(const char *s)
{
    uint64_t h = 14695981039346656037ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

int sf_ld_nm_find(const name_map *m, const char *key)
{
    if (m->cap == 0)
        return -1;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == NULL)
            return -1;
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
    }
}

static void nm_place(const char **keys, int *vals, size_t cap,
                     const char *key, int val)
{
    size_t i = hash_str(key) & (cap - 1);

    while (keys[i] != NULL)
        i = (i + 1) & (cap - 1);
    keys[i] = key;
    vals[i] = val;
}

/* Adds key (not yet present); returns 0 or SF_ERR_NOMEM. */
int sf_ld_nm_put(name_map *m, const char *key, int val)
{
    int rc = 0;

    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap > 0 ? 2 * m->cap : 16;
        const char **keys = calloc(cap, sizeof *keys);
        int *vals = calloc(cap, sizeof *vals);
        if (keys == NULL || vals == NULL) {
            free(keys);
            free(vals);
            rc = SF_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i] != NULL)
                nm_place(keys, vals, cap, m->keys[i], m->vals[i]);
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    if (m->n == m->order_cap) {
        size_t cap = m->order_cap > 0 ? 2 * m->order_cap : 16;
        const char **order = realloc(m->order, cap * sizeof *order);
        if (order == NULL) {
            rc = SF_ERR_NOMEM;
            goto out;
        }
        m->order = order;
        m->order_cap = cap;
    }
    nm_place(m->keys, m->vals, m->cap, key, val);
    m->order[m->n++] = key;
out:
    return rc;
}

void sf_ld_nm_free(name_map *m)
{
    free(m->keys);
    free(m->vals);
    free(m->order);
    memset(m, 0, sizeof *m);
}

/* The size limit of every number (MAX_NUMBER). */
int sf_ld_check_size_of(loader *L, const yaml_node_t *n, double v)
{
    if (fabs(v) <= MAX_NUMBER)
        return 0;
    return sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                       "must be between -1e15 and 1e15, got %s",
                       q(L, sf_cfg_scalar(n)));
}

int sf_ld_check_range(loader *L, const yaml_node_t *n, double v,
                       range_kind r)
{
    const char *want = NULL;

    if (sf_ld_check_size_of(L, n, v) < 0)
        return SF_ERR_RANGE;
    if (r == R_GT0 && v > 0 && v < 1 / MAX_NUMBER)
        return sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                           "must be at least 1e-15, got %s",
                           q(L, sf_cfg_scalar(n)));
    switch (r) {
    case R_ANY:
        break;
    case R_GE0:
        want = v >= 0 ? NULL : ">= 0";
        break;
    case R_GT0:
        want = v > 0 ? NULL : "> 0";
        break;
    case R_UNIT:
        want = v >= 0 && v <= 1 ? NULL : "in [0, 1]";
        break;
    case R_UNIT_LOPEN:
        want = v > 0 && v <= 1 ? NULL : "in (0, 1]";
        break;
    case R_GT_M1:
        want = v > -1 ? NULL : "> -1";
        break;
    }
    if (want == NULL)
        return 0;
    return sf_cfg_fail(&L->y, SF_ERR_RANGE, n, "must be %s, got %s", want,
                       q(L, sf_cfg_scalar(n)));
}

/* A number under key; absent: missing-key error if required, else *out is
 * left alone (the caller's default) and *given is false. */
int sf_ld_num_field(loader *L, const yaml_node_t *map, const char *key,
                     bool required, range_kind r, double *out, bool *given)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;
    double v;

    if (given != NULL)
        *given = n != NULL;
    if (n == NULL) {
        if (required)
            rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    old = sf_cfg_push_key(&L->y, key);
    rc = sf_cfg_number(&L->y, n, &v);
    if (rc == 0)
        rc = sf_ld_check_range(L, n, v, r);
    if (rc == 0)
        *out = v;
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

int sf_ld_bounded_field(loader *L, const yaml_node_t *map, const char *key,
                        double lo, bool lo_open, double hi, double *out,
                        bool *given)
{
    double v = *out;
    bool g = false;
    int rc = sf_ld_num_field(L, map, key, false, R_ANY, &v, &g);

    if (given != NULL)
        *given = g;
    if (rc < 0 || !g)
        return rc;
    if ((lo_open ? v > lo : v >= lo) && v <= hi) {
        *out = v;
        return 0;
    }
    size_t old = sf_cfg_push_key(&L->y, key);
    rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, sf_cfg_get(&L->y, map, key),
                     "must be in %c%g, %g], got %s", lo_open ? '(' : '[', lo,
                     hi, q(L, sf_cfg_scalar(sf_cfg_get(&L->y, map, key))));
    sf_cfg_pop(&L->y, old);
    return rc;
}

int sf_ld_int_field(loader *L, const yaml_node_t *map, const char *key,
                     long long lo, long long hi, int hi_code, long long *out)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;

    if (n == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    old = sf_cfg_push_key(&L->y, key);
    rc = sf_cfg_integer(&L->y, n, lo, hi, hi_code, out);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

/* A required string under key; *at receives its node when not NULL. */
int sf_ld_str_field(loader *L, const yaml_node_t *map, const char *key,
                     const char **out, yaml_node_t **at)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;

    if (n == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    if (at != NULL)
        *at = n;
    old = sf_cfg_push_key(&L->y, key);
    rc = sf_cfg_string(&L->y, n, out);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

/* Ids of commodities, nodes, shocks, blocs, states and policies. */
static bool is_id(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

int sf_ld_check_id(loader *L, const yaml_node_t *n, const char *s)
{
    const char *why;
    if (!is_id(s))
        return sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                           "'%s' is not a valid name: use letters, digits, "
                           "'_', '.' and '-'",
                           q(L, s));
    /* What the letters allow but the results file cannot hold. */
    if ((why = sf_cfg_name_problem(s)) != NULL)
        return sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                           "'%s' is not a valid name: it %s", q(L, s), why);
    return 0;
}

int sf_ld_id_field(loader *L, const yaml_node_t *map, const char *key,
                    const char **out, yaml_node_t **at)
{
    yaml_node_t *n = NULL;
    int rc = sf_ld_str_field(L, map, key, out, &n);

    if (rc == 0) {
        size_t old = sf_cfg_push_key(&L->y, key);
        rc = sf_ld_check_id(L, n, *out);
        sf_cfg_pop(&L->y, old);
    }
    if (at != NULL)
        *at = n;
    return rc;
}

/* Appends "; known: a, b" (when there are few) to an unknown-name error. */
int sf_ld_unknown_name(loader *L, const yaml_node_t *n, const char *what,
                        const char *name, const name_map *m,
                        const name_map *m2)
{
    sf_cfg_near near;
    char list[400];
    size_t used = 0, total = m->n + (m2 != NULL ? m2->n : 0);
    const char *best;

    sf_cfg_near_init(&near, name);
    for (size_t i = 0; i < m->n; i++)
        sf_cfg_near_add(&near, m->order[i]);
    for (size_t i = 0; m2 != NULL && i < m2->n; i++)
        sf_cfg_near_add(&near, m2->order[i]);
    best = sf_cfg_near_best(&near);
    if (best != NULL)
        return sf_cfg_fail(&L->y, SF_ERR_UNKNOWN_REF, n,
                           "unknown %s '%s'; did you mean '%s'?", what,
                           q(L, name), q(L, best));
    if (total == 0)
        return sf_cfg_fail(&L->y, SF_ERR_UNKNOWN_REF, n,
                           "unknown %s '%s'; there are none", what,
                           q(L, name));
    list[0] = '\0';
    for (size_t i = 0; i < total && total <= MAX_LISTED_NAMES; i++) {
        const char *s = i < m->n ? m->order[i] : m2->order[i - m->n];
        int w = snprintf(list + used, sizeof list - used, "%s%s",
                         i > 0 ? ", " : "; known: ", q(L, s));
        if (w < 0 || (size_t)w >= sizeof list - used)
            break;
        used += (size_t)w;
    }
    return sf_cfg_fail(&L->y, SF_ERR_UNKNOWN_REF, n, "unknown %s '%s'%s", what,
                       q(L, name), list);
}

/* Reads a name at n and resolves it in m. */
int sf_ld_ref_at(loader *L, const yaml_node_t *n, const name_map *m,
                  const char *what, int *out)
{
    const char *s;
    int rc = sf_cfg_string(&L->y, n, &s);

    if (rc < 0)
        goto out;
    *out = sf_ld_nm_find(m, s);
    if (*out < 0)
        rc = sf_ld_unknown_name(L, n, what, s, m, NULL);
out:
    return rc;
}

int sf_ld_ref_field(loader *L, const yaml_node_t *map, const char *key,
                     const name_map *m, const char *what, int *out,
                     yaml_node_t **at)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;

    if (n == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    if (at != NULL)
        *at = n;
    old = sf_cfg_push_key(&L->y, key);
    rc = sf_ld_ref_at(L, n, m, what, out);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

/* One of a fixed list of names (a kind, a distribution). */
int sf_ld_enum_at(loader *L, const yaml_node_t *n, const char *const *names,
                   size_t count, const char *what, int *out)
{
    const char *s;
    int rc = sf_cfg_string(&L->y, n, &s);
    sf_cfg_near near;
    char list[300];
    size_t used = 0;

    if (rc < 0)
        goto out;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = (int)i;
            goto out;
        }
    }
    sf_cfg_near_init(&near, s);
    for (size_t i = 0; i < count; i++)
        sf_cfg_near_add(&near, names[i]);
    if (sf_cfg_near_best(&near) != NULL) {
        rc = sf_cfg_fail(&L->y, SF_ERR_UNKNOWN_REF, n,
                         "unknown %s '%s'; did you mean '%s'?", what, q(L, s),
                         sf_cfg_near_best(&near));
        goto out;
    }
    list[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s",
                         i > 0 ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= sizeof list - used)
            break;
        used += (size_t)w;
    }
    rc = sf_cfg_fail(&L->y, SF_ERR_UNKNOWN_REF, n,
                     "unknown %s '%s'; expected one of %s", what, q(L, s),
                     list);
out:
    return rc;
}

int sf_ld_enum_field(loader *L, const yaml_node_t *map, const char *key,
                      const char *const *names, size_t count,
                      const char *what, int *out)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;

    if (n == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    old = sf_cfg_push_key(&L->y, key);
    rc = sf_ld_enum_at(L, n, names, count, what, out);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

typedef struct {
    const char *s;
    size_t pos;
} item_ref;

static int item_ref_cmp(const void *a, const void *b)
{
    const item_ref *x = a, *y = b;
    int d = strcmp(x->s, y->s);

    if (d != 0)
        return d;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Checks that a list holds strings and none twice (the first repeat in
 * file order is reported). */
int sf_ld_check_unique_items(loader *L, const yaml_node_t *seq,
                              const char *what)
{
    int rc = 0;
    size_t n = seq_len(seq), dup = SIZE_MAX;
    item_ref *refs = NULL;

    if (n == 0)
        goto out;
    refs = malloc(n * sizeof *refs);
    if (refs == NULL) {
        rc = nomem(L);
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t old = sf_cfg_push_index(&L->y, i);
        refs[i].pos = i;
        rc = sf_cfg_string(&L->y, seq_item(L, seq, i), &refs[i].s);
        sf_cfg_pop(&L->y, old);
    }
    if (rc < 0)
        goto out;
    qsort(refs, n, sizeof *refs, item_ref_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(refs[i].s, refs[i - 1].s) == 0 && refs[i].pos < dup &&
            (i < 2 || strcmp(refs[i].s, refs[i - 2].s) != 0))
            dup = refs[i].pos;
    if (dup != SIZE_MAX) {
        yaml_node_t *item = seq_item(L, seq, dup);
        size_t old = sf_cfg_push_index(&L->y, dup);
        rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, item,
                         "%s '%s' is listed twice", what,
                         q(L, sf_cfg_scalar(item)));
        sf_cfg_pop(&L->y, old);
    }
out:
    free(refs);
    return rc;
}

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* An id used twice: s, read at `at` under key, is already the id of
 * list[prev] ("commodity id 'a' is already used by commodities[0]"). */
int sf_ld_id_taken(loader *L, const yaml_node_t *at, const char *key,
                   const char *what, const char *list, const char *s,
                   int prev)
{
    size_t old = sf_cfg_push_key(&L->y, key);
    int rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, at,
                         "%s '%s' is already used by %s[%d]", what, q(L, s),
                         list, prev);

    sf_cfg_pop(&L->y, old);
    return rc;
}

/* Claims id s, read at `at` under key, for entry `index` of m: taken
 * already (sf_ld_id_taken), or added; with copy, the map keys the copy of
 * s made into *copy (which the scenario owns), else s itself. */
int sf_ld_claim_id(loader *L, name_map *m, const yaml_node_t *at,
                   const char *key, const char *what, const char *list,
                   const char *s, int index, char **copy)
{
    int rc = 0, prev = sf_ld_nm_find(m, s);

    if (prev >= 0) {
        rc = sf_ld_id_taken(L, at, key, what, list, s, prev);
        goto out;
    }
    if (copy != NULL) {
        rc = dup_str(L, s, copy);
        if (rc < 0)
            goto out;
        s = *copy;
    }
    if (sf_ld_nm_put(m, s, index) < 0)
        rc = nomem(L);
out:
    return rc;
}

/* Sorts and removes repeats in place; returns the new length. */
size_t sf_ld_sort_unique(int *v, size_t n)
{
    size_t m = 0;

    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, int_cmp);
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[m])
            v[++m] = v[i];
    return m + 1;
}

/* The keys of a mapping that has no kind yet (so that "knd" is reported
 * as a misspelling, not "kind" as missing); with a kind, the keys are
 * checked against the kind's own list instead. */
int sf_ld_check_keys_without_kind(loader *L, const yaml_node_t *map,
                                   const char *const *all)
{
    if (sf_cfg_get(&L->y, map, "kind") != NULL)
        return 0;
    return sf_cfg_check_keys(&L->y, map, all, NULL, NULL);
}
