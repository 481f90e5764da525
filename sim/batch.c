/*
 * batch.c — batches and parameter sweeps: a batch file names scenario
 * files and sweeps (a key path in the scenario and the values to give it),
 * and `shortfall run BATCH.yaml` runs every variant — each scenario with
 * each combination of swept values — on common random numbers, writing
 * one group per variant into one results file, with the swept values as
 * coordinates (docs/batches.md).
 *
 * A sweep rewrites the scenario's YAML (libyaml document, then emitted
 * again), so each variant's group records the exact scenario text it ran.
 */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "batch.h"
#include "config_internal.h"

void sf_batch_free(sf_batch *b)
{
    if (b == NULL)
        return;
    free(b->name);
    for (size_t i = 0; i < b->n_scenarios; i++)
        free(b->scenarios[i]);
    free(b->scenarios);
    for (size_t k = 0; k < b->n_sweeps; k++) {
        free(b->sweeps[k].path);
        free(b->sweeps[k].values);
    }
    free(b->sweeps);
    free(b->points);
    memset(b, 0, sizeof *b);
}

bool sf_batch_detect(const char *text, size_t len)
{
    sf_cfg c;
    sf_error err = {0};
    bool is_batch = false;
    if (sf_cfg_open(&c, text, len, "", &err) == 0) {
        yaml_node_t *root = sf_cfg_root(&c);
        if (root != NULL && root->type == YAML_MAPPING_NODE)
            for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
                 p < root->data.mapping.pairs.top; p++) {
                yaml_node_t *k = sf_cfg_node(&c, p->key);
                if (k && k->type == YAML_SCALAR_NODE &&
                    strcmp((const char *)k->data.scalar.value, "batch") == 0)
                    is_batch = true;
            }
    }
    sf_cfg_close(&c);
    return is_batch;
}

static char *join_dir(const char *batch_file, const char *rel)
{
    if (rel[0] == '/')
        return strdup(rel);
    char *copy = strdup(batch_file);
    if (copy == NULL)
        return NULL;
    const char *dir = dirname(copy);
    size_t len = strlen(dir) + strlen(rel) + 2;
    char *out = malloc(len);
    if (out != NULL)
        snprintf(out, len, "%s/%s", dir, rel);
    free(copy);
    return out;
}

/* values: a list of numbers (grid, zip). */
static int parse_values(sf_cfg *c, yaml_node_t *n, sf_sweep *sw)
{
    int ret;
    size_t nv = (size_t)(n->data.sequence.items.top -
                         n->data.sequence.items.start);
    if (nv == 0)
        return sf_cfg_fail(c, SF_ERR_RANGE, n, "a sweep needs at least one value");
    if ((sw->values = calloc(nv, sizeof *sw->values)) == NULL)
        return sf_cfg_nomem(c);
    for (size_t i = 0; i < nv; i++) {
        size_t o2 = sf_cfg_push_index(c, i);
        yaml_node_t *v = sf_cfg_node(c, n->data.sequence.items.start[i]);
        if ((ret = sf_cfg_number(c, v, &sw->values[i])) != 0)
            return ret;
        sf_cfg_pop(c, o2);
    }
    sw->n_values = nv;
    return 0;
}

/* values: {range: [lo, hi], log: true|false} (lhs, sobol). */
static int parse_range(sf_cfg *c, yaml_node_t *map, sf_sweep *sw)
{
    static const char *const keys[] = {"range", "log", NULL};
    yaml_node_t *n, *r;
    int ret;

    if ((ret = sf_cfg_check_keys(c, map, keys, NULL, "a sweep's values")) != 0)
        return ret;
    if ((r = sf_cfg_get(c, map, "range")) == NULL)
        return sf_cfg_fail_missing(c, map, "range");
    size_t old = sf_cfg_push_key(c, "range");
    if ((ret = sf_cfg_expect(c, r, YAML_SEQUENCE_NODE)) != 0)
        return ret;
    if (r->data.sequence.items.top - r->data.sequence.items.start != 2)
        return sf_cfg_fail(c, SF_ERR_TYPE, r,
                           "a range is [lo, hi], two numbers");
    double *ends[2] = {&sw->lo, &sw->hi};
    for (size_t i = 0; i < 2; i++) {
        size_t o2 = sf_cfg_push_index(c, i);
        if ((ret = sf_cfg_number(c, sf_cfg_node(c, r->data.sequence.items.start[i]),
                                 ends[i])) != 0)
            return ret;
        sf_cfg_pop(c, o2);
    }
    if (!(sw->lo < sw->hi))
        return sf_cfg_fail(c, SF_ERR_RANGE, r,
                           "a range [lo, hi] needs lo < hi, got [%g, %g]",
                           sw->lo, sw->hi);
    sf_cfg_pop(c, old);
    if ((n = sf_cfg_get(c, map, "log")) != NULL) {
        old = sf_cfg_push_key(c, "log");
        const char *v = sf_cfg_scalar(n);
        if (n->type != YAML_SCALAR_NODE || v == NULL ||
            (strcmp(v, "true") != 0 && strcmp(v, "false") != 0))
            return sf_cfg_fail(c, SF_ERR_TYPE, n,
                               "expected true or false, got %s",
                               sf_cfg_describe(c, n));
        sw->log = strcmp(v, "true") == 0;
        if (sw->log && !(sw->lo > 0))
            return sf_cfg_fail(c, SF_ERR_RANGE, n,
                               "log: true needs a range with lo > 0, got "
                               "[%g, %g]",
                               sw->lo, sw->hi);
        sf_cfg_pop(c, old);
    }
    sw->ranged = true;
    return 0;
}

static int parse_sweep(sf_cfg *c, const yaml_node_t *map, sf_design design,
                       sf_sweep *sw)
{
    static const char *const keys[] = {"path", "values", NULL};
    bool ranged = design == SF_DESIGN_LHS || design == SF_DESIGN_SOBOL;
    const char *path;
    int ret;
    yaml_node_t *n;

    if ((ret = sf_cfg_expect(c, map, YAML_MAPPING_NODE)) != 0 ||
        (ret = sf_cfg_check_keys(c, map, keys, NULL, "a sweep")) != 0)
        return ret;
    if ((n = sf_cfg_get(c, map, "path")) == NULL)
        return sf_cfg_fail_missing(c, map, "path");
    size_t old = sf_cfg_push_key(c, "path");
    if ((ret = sf_cfg_string(c, n, &path)) != 0)
        return ret;
    sf_cfg_pop(c, old);
    sw->loc = sf_cfg_loc(n);
    if ((sw->path = strdup(path)) == NULL)
        return sf_cfg_nomem(c);
    if ((n = sf_cfg_get(c, map, "values")) == NULL)
        return sf_cfg_fail_missing(c, map, "values");
    old = sf_cfg_push_key(c, "values");
    if (ranged && n->type == YAML_SEQUENCE_NODE)
        return sf_cfg_fail(c, SF_ERR_TYPE, n,
                           "combine: %s samples a range: values: {range: "
                           "[lo, hi]} (and log: true for log-uniform), not "
                           "a list of values",
                           design == SF_DESIGN_LHS ? "lhs" : "sobol");
    if (!ranged && n->type == YAML_MAPPING_NODE)
        return sf_cfg_fail(c, SF_ERR_TYPE, n,
                           "a range of values needs combine: lhs or sobol; "
                           "combine: %s takes a list of values",
                           design == SF_DESIGN_ZIP ? "zip" : "grid");
    if ((ret = sf_cfg_expect(c, n, ranged ? YAML_MAPPING_NODE
                                          : YAML_SEQUENCE_NODE)) != 0 ||
        (ret = ranged ? parse_range(c, n, sw) : parse_values(c, n, sw)) != 0)
        return ret;
    sf_cfg_pop(c, old);
    return 0;
}

/* combine: 'grid', 'zip', 'lhs' or 'sobol'. */
static int parse_combine(sf_cfg *c, yaml_node_t *n, sf_batch *b)
{
    static const char *const names[] = {"grid", "zip", "lhs", "sobol", NULL};
    size_t old = sf_cfg_push_key(c, "combine");
    const char *s;
    int ret;

    if ((ret = sf_cfg_string(c, n, &s)) != 0)
        return ret;
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp(s, names[i]) == 0) {
            b->design = (sf_design)i;
            sf_cfg_pop(c, old);
            return 0;
        }
    return sf_cfg_fail(c, SF_ERR_UNKNOWN_REF, n,
                       "combine is 'grid' (every combination), 'zip' (the "
                       "i-th values together), 'lhs' (a Latin hypercube) "
                       "or 'sobol' (Saltelli's design), got '%s'",
                       sf_cfg_q(c, s));
}

/* After the sweeps: zip's lengths; lhs's and sobol's samples and number
 * of sweeps.  combine is the combine node (NULL: grid). */
static int check_design(sf_cfg *c, yaml_node_t *root, yaml_node_t *combine,
                        sf_batch *b)
{
    yaml_node_t *n = sf_cfg_get(c, root, "samples");
    bool sampled = b->design == SF_DESIGN_LHS || b->design == SF_DESIGN_SOBOL;
    const char *name = sf_batch_design_name(b);
    size_t old;
    int ret;

    if (b->design == SF_DESIGN_ZIP) {
        old = sf_cfg_push_key(c, "combine");
        for (size_t k = 1; k < b->n_sweeps; k++)
            if (b->sweeps[k].n_values != b->sweeps[0].n_values)
                return sf_cfg_fail(c, SF_ERR_CONFLICT, combine,
                                   "combine: zip needs sweeps of equal "
                                   "length (%zu and %zu values)",
                                   b->sweeps[0].n_values,
                                   b->sweeps[k].n_values);
        sf_cfg_pop(c, old);
    }
    if (!sampled) {
        if (n != NULL) {
            old = sf_cfg_push_key(c, "samples");
            return sf_cfg_fail(c, SF_ERR_CONFLICT, n,
                               "samples applies to combine: lhs or sobol, "
                               "not %s",
                               name);
        }
        return 0;
    }
    old = sf_cfg_push_key(c, "combine");
    if (b->n_sweeps == 0)
        return sf_cfg_fail(c, SF_ERR_RANGE, combine,
                           "combine: %s needs at least one sweep", name);
    if (b->design == SF_DESIGN_SOBOL && b->n_sweeps > SF_SOBOL_MAX_SWEEPS)
        return sf_cfg_fail(c, SF_ERR_LIMIT, combine,
                           "combine: sobol takes at most %d sweeps (GSL's "
                           "Sobol sequence has at most %d dimensions and "
                           "the design uses two per sweep), got %zu",
                           SF_SOBOL_MAX_SWEEPS, 2 * SF_SOBOL_MAX_SWEEPS,
                           b->n_sweeps);
    sf_cfg_pop(c, old);
    long long ns;
    old = sf_cfg_push_key(c, "samples");
    if (n == NULL)
        return sf_cfg_fail(c, SF_ERR_MISSING_KEY, root,
                           "combine: %s needs samples: N, the number of "
                           "samples",
                           name);
    if ((ret = sf_cfg_integer(c, n, 1, SF_DESIGN_MAX_SAMPLES, SF_ERR_LIMIT,
                              &ns)) != 0)
        return ret;
    sf_cfg_pop(c, old);
    b->samples = (size_t)ns;
    return 0;
}

int sf_batch_load(sf_batch *b, const char *text, size_t len, const char *file,
                  sf_error *err)
{
    static const char *const keys[] = {"batch",  "scenarios", "sweeps",
                                       "combine", "samples", "trials",
                                       "seed",   NULL};
    sf_cfg c;
    yaml_node_t *root, *n, *combine;
    const char *s;
    int ret;

    memset(b, 0, sizeof *b);
    b->trials = -1;
    if ((ret = sf_cfg_open(&c, text, len, file, err)) != 0)
        return ret;
    root = sf_cfg_root(&c);
    if ((ret = sf_cfg_expect(&c, root, YAML_MAPPING_NODE)) != 0 ||
        (ret = sf_cfg_check_keys(&c, root, keys, NULL, "a batch")) != 0)
        goto out;
    n = sf_cfg_get(&c, root, "batch");
    size_t old = sf_cfg_push_key(&c, "batch");
    if ((ret = sf_cfg_string(&c, n, &s)) != 0)
        goto out;
    const char *why = sf_cfg_name_problem(s);
    if (why != NULL) {
        ret = s[0] == '\0'
                  ? sf_cfg_fail(&c, SF_ERR_RANGE, n, "must not be empty")
                  : sf_cfg_fail(&c, SF_ERR_RANGE, n,
                                "'%s' cannot be the batch's name: "
                                "it %s",
                                sf_cfg_q(&c, s), why);
        goto out;
    }
    sf_cfg_pop(&c, old);
    if ((b->name = strdup(s)) == NULL) {
        ret = sf_cfg_nomem(&c);
        goto out;
    }
    if ((n = sf_cfg_get(&c, root, "scenarios")) == NULL) {
        ret = sf_cfg_fail_missing(&c, root, "scenarios");
        goto out;
    }
    old = sf_cfg_push_key(&c, "scenarios");
    if ((ret = sf_cfg_expect(&c, n, YAML_SEQUENCE_NODE)) != 0)
        goto out;
    b->n_scenarios = (size_t)(n->data.sequence.items.top -
                              n->data.sequence.items.start);
    if (b->n_scenarios == 0) {
        ret = sf_cfg_fail(&c, SF_ERR_RANGE, n, "a batch needs at least one "
                                               "scenario file");
        goto out;
    }
    if ((b->scenarios = calloc(b->n_scenarios, sizeof *b->scenarios)) == NULL) {
        ret = sf_cfg_nomem(&c);
        goto out;
    }
    for (size_t i = 0; i < b->n_scenarios; i++) {
        size_t o2 = sf_cfg_push_index(&c, i);
        yaml_node_t *v = sf_cfg_node(&c, n->data.sequence.items.start[i]);
        if ((ret = sf_cfg_string(&c, v, &s)) != 0)
            goto out;
        if ((b->scenarios[i] = join_dir(file, s)) == NULL) {
            ret = sf_cfg_nomem(&c);
            goto out;
        }
        sf_cfg_pop(&c, o2);
    }
    sf_cfg_pop(&c, old);
    /* combine first: it says what a sweep's values are. */
    if ((combine = sf_cfg_get(&c, root, "combine")) != NULL &&
        (ret = parse_combine(&c, combine, b)) != 0)
        goto out;
    if ((n = sf_cfg_get(&c, root, "sweeps")) != NULL) {
        old = sf_cfg_push_key(&c, "sweeps");
        if ((ret = sf_cfg_expect(&c, n, YAML_SEQUENCE_NODE)) != 0)
            goto out;
        b->n_sweeps = (size_t)(n->data.sequence.items.top -
                               n->data.sequence.items.start);
        if ((b->sweeps = calloc(b->n_sweeps ? b->n_sweeps : 1,
                                sizeof *b->sweeps)) == NULL) {
            ret = sf_cfg_nomem(&c);
            goto out;
        }
        for (size_t k = 0; k < b->n_sweeps; k++) {
            size_t o2 = sf_cfg_push_index(&c, k);
            if ((ret = parse_sweep(&c, sf_cfg_node(&c,
                                                   n->data.sequence.items.start[k]),
                                   b->design, &b->sweeps[k])) != 0)
                goto out;
            sf_cfg_pop(&c, o2);
        }
        sf_cfg_pop(&c, old);
    }
    if ((ret = check_design(&c, root, combine, b)) != 0)
        goto out;
    if ((n = sf_cfg_get(&c, root, "trials")) != NULL) {
        old = sf_cfg_push_key(&c, "trials");
        if ((ret = sf_cfg_integer(&c, n, 1, 1000000000000LL, SF_ERR_LIMIT,
                                  &b->trials)) != 0)
            goto out;
        sf_cfg_pop(&c, old);
    }
    if ((n = sf_cfg_get(&c, root, "seed")) != NULL) {
        unsigned long long seed;
        old = sf_cfg_push_key(&c, "seed");
        if ((ret = sf_cfg_uint64(&c, n, &seed)) != 0)
            goto out;
        sf_cfg_pop(&c, old);
        b->seed = seed;
        b->seed_given = true;
    }
    if ((ret = sf_design_make(b)) != 0)
        ret = sf_cfg_nomem(&c);
out:
    sf_cfg_close(&c);
    if (ret != 0)
        sf_batch_free(b);
    return ret;
}

size_t sf_batch_combinations(const sf_batch *b)
{
    if (b->n_sweeps == 0)
        return 1;
    if (b->design == SF_DESIGN_LHS)
        return b->samples;
    if (b->design == SF_DESIGN_SOBOL)
        return b->samples * (b->n_sweeps + 2);
    if (b->design == SF_DESIGN_ZIP)
        return b->sweeps[0].n_values;
    size_t n = 1;
    for (size_t k = 0; k < b->n_sweeps; k++)
        n *= b->sweeps[k].n_values;
    return n;
}

double sf_batch_value(const sf_batch *b, size_t combo, size_t k)
{
    if (b->points != NULL)
        return b->points[combo * b->n_sweeps + k];
    if (b->design == SF_DESIGN_ZIP)
        return b->sweeps[k].values[combo];
    /* Grid: the last sweep varies fastest. */
    for (size_t j = b->n_sweeps; j-- > k + 1;)
        combo /= b->sweeps[j].n_values;
    return b->sweeps[k].values[combo % b->sweeps[k].n_values];
}

/* --- rewriting a scenario --------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
} growbuf;

static int emit_write(void *data, unsigned char *bytes, size_t size)
{
    growbuf *g = data;
    if (g->len + size + 1 > g->cap) {
        size_t cap = (g->cap + size + 1) * 2;
        char *nb = realloc(g->buf, cap);
        if (nb == NULL)
            return 0;
        g->buf = nb;
        g->cap = cap;
    }
    memcpy(g->buf + g->len, bytes, size);
    g->len += size;
    g->buf[g->len] = '\0';
    return 1;
}

/* The value node of key in a mapping, or 0. */
static int map_find(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return p->value;
    }
    return 0;
}

/* The item of a sequence selected by "[3]" or "[some_id]" (an item whose
 * id or name is some_id), or 0. */
static int seq_select(yaml_document_t *d, yaml_node_t *seq, const char *sel)
{
    size_t n = (size_t)(seq->data.sequence.items.top -
                        seq->data.sequence.items.start);
    char *end;
    unsigned long idx = strtoul(sel, &end, 10);
    if (*sel != '\0' && *end == '\0')
        return idx < n ? seq->data.sequence.items.start[idx] : 0;
    for (size_t i = 0; i < n; i++) {
        int item = seq->data.sequence.items.start[i];
        yaml_node_t *it = yaml_document_get_node(d, item);
        if (it == NULL || it->type != YAML_MAPPING_NODE)
            continue;
        const char *names[] = {"id", "name"};
        for (int f = 0; f < 2; f++) {
            int v = map_find(d, it, names[f]);
            yaml_node_t *vn = v ? yaml_document_get_node(d, v) : NULL;
            if (vn && vn->type == YAML_SCALAR_NODE &&
                strcmp((const char *)vn->data.scalar.value, sel) == 0)
                return item;
        }
    }
    return 0;
}

/* Sets the scalar at `path` in the document to `value`; a missing last
 * key of a mapping is added.  Returns NULL or what went wrong. */
static const char *set_path(yaml_document_t *d, const char *path,
                            const char *value)
{
    char tok[256];
    int cur = 1; /* the root node */
    const char *p = path;
    while (*p) {
        yaml_node_t *node = yaml_document_get_node(d, cur);
        bool is_sel = *p == '[';
        size_t n = 0;
        if (is_sel) {
            const char *close = strchr(p, ']');
            if (close == NULL || (size_t)(close - p - 1) >= sizeof tok)
                return "unbalanced [ in the path";
            n = (size_t)(close - p - 1);
            memcpy(tok, p + 1, n);
            p = close + 1;
        } else {
            while (p[n] && p[n] != '.' && p[n] != '[')
                n++;
            if (n == 0 || n >= sizeof tok)
                return "empty key in the path";
            memcpy(tok, p, n);
            p += n;
        }
        tok[n] = '\0';
        if (*p == '.')
            p++;
        bool last = *p == '\0';
        if (is_sel) {
            if (node == NULL || node->type != YAML_SEQUENCE_NODE)
                return "[...] selects from a list, but the value there is "
                       "not a list";
            if ((cur = seq_select(d, node, tok)) == 0)
                return "no list item with that index, id or name";
        } else {
            if (node == NULL || node->type != YAML_MAPPING_NODE)
                return "a key needs a mapping, but the value there is not "
                       "one";
            int next = map_find(d, node, tok);
            if (next == 0 && last) {
                /* Give a key its first value (e.g. a default). */
                int k = yaml_document_add_scalar(d, NULL, (yaml_char_t *)tok,
                                                 -1, YAML_PLAIN_SCALAR_STYLE);
                int v = yaml_document_add_scalar(d, NULL,
                                                 (yaml_char_t *)value, -1,
                                                 YAML_PLAIN_SCALAR_STYLE);
                if (!k || !v || !yaml_document_append_mapping_pair(d, cur, k, v))
                    return "out of memory";
                return NULL;
            }
            if (next == 0)
                return "no such key";
            cur = next;
        }
    }
    yaml_node_t *leaf = yaml_document_get_node(d, cur);
    if (leaf == NULL || leaf->type != YAML_SCALAR_NODE)
        return "the path ends at a list or mapping, not at a number";
    yaml_char_t *copy = (yaml_char_t *)strdup(value);
    if (copy == NULL)
        return "out of memory";
    free(leaf->data.scalar.value);
    leaf->data.scalar.value = copy;
    leaf->data.scalar.length = strlen(value);
    leaf->data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
    return NULL;
}

int sf_batch_variant_text(const sf_batch *b, const char *scen_text,
                          size_t len, size_t combo, char **out,
                          const char **problem, size_t *bad_sweep)
{
    yaml_parser_t parser;
    yaml_emitter_t emitter;
    yaml_document_t doc;
    growbuf g = {0};
    int ret = SF_ERR_NOMEM;
    bool have_doc = false;

    *out = NULL;
    *problem = NULL;
    if (!yaml_parser_initialize(&parser))
        return ret;
    yaml_parser_set_input_string(&parser, (const unsigned char *)scen_text,
                                 len);
    if (!yaml_parser_load(&parser, &doc) ||
        yaml_document_get_root_node(&doc) == NULL) {
        yaml_parser_delete(&parser);
        *problem = "the scenario is not well-formed YAML";
        return SF_ERR_SYNTAX;
    }
    have_doc = true;
    for (size_t k = 0; k < b->n_sweeps; k++) {
        char num[40];
        snprintf(num, sizeof num, "%.17g", sf_batch_value(b, combo, k));
        if ((*problem = set_path(&doc, b->sweeps[k].path, num)) != NULL) {
            *bad_sweep = k;
            ret = SF_ERR_UNKNOWN_REF;
            goto out;
        }
    }
    if (!yaml_emitter_initialize(&emitter))
        goto out;
    yaml_emitter_set_output(&emitter, emit_write, &g);
    yaml_emitter_set_width(&emitter, 100);
    yaml_emitter_set_unicode(&emitter, 1);
    if (yaml_emitter_open(&emitter) && yaml_emitter_dump(&emitter, &doc) &&
        yaml_emitter_close(&emitter) && g.buf != NULL) {
        *out = g.buf;
        g.buf = NULL;
        ret = 0;
    }
    have_doc = false; /* yaml_emitter_dump deletes the document */
    yaml_emitter_delete(&emitter);
out:
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(g.buf);
    return ret;
}

/* --- the variants ------------------------------------------------------- */

char *sf_batch_read_text(const char *path, size_t *len, sf_error *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    if (f == NULL) {
        sf_error_set(err, SF_ERR_IO, "cannot read %s: %s", path,
                     strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && n <= 64L << 20 && fseek(f, 0, SEEK_SET) == 0 &&
            (text = malloc((size_t)n + 1)) != NULL &&
            fread(text, 1, (size_t)n, f) == (size_t)n) {
            text[n] = '\0';
            *len = (size_t)n;
        } else {
            free(text);
            text = NULL;
            sf_error_set(err, SF_ERR_IO, "cannot read %s", path);
        }
    }
    fclose(f);
    return text;
}

void sf_batch_variants_free(sf_batch_variants *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        if (v->texts)
            free(v->texts[i]);
        if (v->groups)
            free(v->groups[i]);
    }
    free(v->texts);
    free(v->groups);
    free(v->scenarios);
    free(v->values);
    free(v->sources);
    memset(v, 0, sizeof *v);
}

/* 64-bit FNV-1a: a fingerprint of a scenario file, not a security hash. */
static uint64_t fnv1a64(const char *s, size_t len)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

int sf_batch_expand(const sf_batch *b, const char *file, sf_batch_variants *v,
                    sf_error *err)
{
    size_t combos = sf_batch_combinations(b), nv = b->n_scenarios * combos;
    size_t src_len = 1;
    int ret = 0;

    memset(v, 0, sizeof *v);
    for (size_t s = 0; s < b->n_scenarios; s++)
        src_len += strlen(b->scenarios[s]) + 32;
    v->texts = calloc(nv, sizeof *v->texts);
    v->groups = calloc(nv, sizeof *v->groups);
    v->scenarios = calloc(nv, sizeof *v->scenarios);
    v->values = calloc(nv * (b->n_sweeps ? b->n_sweeps : 1), sizeof *v->values);
    v->sources = calloc(src_len, 1);
    v->n = nv;
    if (!v->texts || !v->groups || !v->scenarios || !v->values ||
        !v->sources) {
        ret = sf_error_set(err, SF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* Every variant's text first: a bad path fails before any trial. */
    for (size_t s = 0; s < b->n_scenarios; s++) {
        size_t len = 0;
        char *text = sf_batch_read_text(b->scenarios[s], &len, err);
        sf_scenario sc;
        if (text == NULL) {
            ret = SF_ERR_IO;
            goto fail;
        }
        size_t used = strlen(v->sources);
        snprintf(v->sources + used, src_len - used, "%s fnv1a64:%016llx\n",
                 b->scenarios[s], (unsigned long long)fnv1a64(text, len));
        memset(&sc, 0, sizeof sc);
        ret = sf_scenario_load_string(&sc, text, len, b->scenarios[s], err);
        for (size_t c = 0; ret == 0 && c < combos; c++) {
            size_t i = s * combos + c, bad = 0;
            const char *problem = NULL;
            ret = sf_batch_variant_text(b, text, len, c, &v->texts[i],
                                        &problem, &bad);
            if (ret != 0 && problem != NULL) {
                ret = sf_error_set(err, SF_ERR_UNKNOWN_REF,
                                   "%s:%d:%d: sweeps[%zu].path: '%s' in %s: "
                                   "%s",
                                   file, b->sweeps[bad].loc.line,
                                   b->sweeps[bad].loc.col, bad,
                                   b->sweeps[bad].path, b->scenarios[s],
                                   problem);
                break;
            }
            size_t glen = strlen(sc.name) + 16;
            if (ret == 0 && (v->groups[i] = malloc(glen)) == NULL)
                ret = sf_error_set(err, SF_ERR_NOMEM, "out of memory");
            if (ret == 0) {
                if (combos == 1)
                    snprintf(v->groups[i], glen, "%s", sc.name);
                else
                    snprintf(v->groups[i], glen, "%s-%zu", sc.name, c);
                for (char *q = v->groups[i]; *q; q++)
                    if (*q == '/')
                        *q = '_';
                v->scenarios[i] = b->scenarios[s];
                for (size_t k = 0; k < b->n_sweeps; k++)
                    v->values[i * b->n_sweeps + k] = sf_batch_value(b, c, k);
            }
        }
        sf_scenario_free(&sc);
        free(text);
        if (ret != 0)
            goto fail;
    }
    for (size_t i = 0; i < nv; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(v->groups[i], v->groups[j]) == 0) {
                ret = sf_error_set(err, SF_ERR_DUPLICATE,
                                   "%s: two variants would both be named '%s' "
                                   "(scenarios with the same name)",
                                   file, v->groups[i]);
                goto fail;
            }
    return 0;
fail:
    sf_batch_variants_free(v);
    return ret;
}

/* --- names and units of swept values (docs/batches.md) ------------------- */

#define PATH_PARTS 64

/* A key path cut into its keys and selectors: parts[i] is "key" or, when
 * sel[i], the text inside "[...]".  Returns the number of parts, or 0 for
 * a path that is not well formed. */
static size_t split_path(const char *path, char parts[][128], bool *sel)
{
    size_t n = 0;
    const char *p = path;
    while (*p != '\0') {
        if (n == PATH_PARTS)
            return 0;
        size_t len;
        if (*p == '[') {
            const char *close = strchr(p, ']');
            if (close == NULL)
                return 0;
            len = (size_t)(close - p - 1);
            sel[n] = true;
            p++;
        } else {
            len = strcspn(p, ".[");
            if (len == 0)
                return 0;
            sel[n] = false;
        }
        if (len >= 128)
            return 0;
        memcpy(parts[n], p, len);
        parts[n][len] = '\0';
        p += len + (sel[n] ? 1 : 0);
        if (*p == '.')
            p++;
        n++;
    }
    return n;
}

static bool one_of(const char *s, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* Parameters of a distribution: those in the distribution's own unit, and
 * those without one. */
static const char *const dist_located[] = {"value",  "min",  "max",   "mean",
                                           "median", "mode", "scale", NULL};
static const char *const dist_shaped[] = {"sigma", "shape", "a", "b", NULL};

static bool all_digits(const char *s)
{
    return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* The item a selector picks from a list of n, by index or else by name. */
static int pick(const char *s, size_t n, int by_name)
{
    if (all_digits(s)) {
        unsigned long i = strtoul(s, NULL, 10);
        return i < n ? (int)i : -1;
    }
    return by_name;
}

/* "<unit>/year" and the like, into buf. */
static void unit_of(const sf_scenario *sc, int commodity, const char *suffix,
                    char *buf, size_t n)
{
    if (commodity >= 0 && (size_t)commodity < sc->n_commodities)
        snprintf(buf, n, "%s%s", sc->commodities[commodity].unit, suffix);
}

/* The unit of a node's key: capacity, demand, stocks, yield. */
static void node_key_unit(const sf_scenario *sc, int node, const char *key,
                          char *buf, size_t n)
{
    if (node < 0 || (size_t)node >= sc->n_nodes)
        return;
    const sf_node *nd = &sc->nodes[node];
    if (strcmp(key, "capacity") == 0)
        unit_of(sc, nd->output, "/year", buf, n);
    else if (strcmp(key, "demand") == 0)
        unit_of(sc, nd->input, "/year", buf, n);
    else if (strcmp(key, "output_stock_cap") == 0)
        unit_of(sc, nd->output, "", buf, n);
    else if (strcmp(key, "initial_input_stock") == 0)
        unit_of(sc, nd->input, "", buf, n);
    else if (strcmp(key, "yield") == 0 && nd->output >= 0 && nd->input >= 0)
        snprintf(buf, n, "%s/%s", sc->commodities[nd->output].unit,
                 sc->commodities[nd->input].unit);
}

void sf_sweep_unit(const sf_scenario *sc, const char *path, char *buf, size_t n)
{
    static const char *const per_year[] = {"hazard_per_year", "growth", NULL};
    static const char *const plain[] = {
        "severity", "rate",   "share",      "completion_probability",
        "factor",   "weight", "volatility", "tariff_elasticity",
        "substitution_elasticity", "demand_elasticity", "supply_elasticity",
        "elasticity", "price_cap", "seed", NULL};
    char parts[PATH_PARTS][128];
    bool sel[PATH_PARTS];
    size_t np;

    if (n == 0)
        return;
    buf[0] = '\0';
    if ((np = split_path(path, parts, sel)) == 0)
        return;
    /* The last key, and the key before it. */
    int last = -1, prev = -1;
    for (size_t i = 0; i < np; i++)
        if (!sel[i]) {
            prev = last;
            last = (int)i;
        }
    if (last < 0)
        return;
    const char *key = parts[last];
    if (prev >= 0 && (one_of(key, dist_located) || one_of(key, dist_shaped))) {
        /* A parameter of a distribution-valued key. */
        if (one_of(key, dist_shaped)) {
            snprintf(buf, n, "1");
            return;
        }
        last = prev;
        key = parts[last];
    }
    /* Anything under regimes (transition probabilities, multipliers) is
     * a plain number. */
    if (strcmp(parts[0], "regimes") == 0 || one_of(key, plain)) {
        snprintf(buf, n, "1");
    } else if (one_of(key, per_year)) {
        snprintf(buf, n, "1/year");
    } else if (strcmp(key, "start_month") == 0 ||
               (strlen(key) > 7 &&
                strcmp(key + strlen(key) - 7, "_months") == 0)) {
        snprintf(buf, n, "months");
    } else if (strcmp(key, "trials") == 0 && last == 0) {
        snprintf(buf, n, "trials");
    } else if (np >= 3 && strcmp(parts[0], "nodes") == 0 && sel[1] &&
               last == 2) {
        size_t own = 0;
        while (own < sc->n_nodes && sc->nodes[own].defined_by_policy < 0)
            own++;
        node_key_unit(sc,
                      pick(parts[1], own, sf_scenario_node_index(sc, parts[1])),
                      key, buf, n);
    } else if (np >= 3 && strcmp(parts[0], "commodities") == 0 && sel[1] &&
               last == 2 && strcmp(key, "price") == 0) {
        unit_of(sc,
                pick(parts[1], sc->n_commodities,
                     sf_scenario_commodity_index(sc, parts[1])),
                "", buf, n);
        if (buf[0] != '\0') {
            char unit[100];
            snprintf(unit, sizeof unit, "%s", buf);
            snprintf(buf, n, "money/%s", unit);
        }
    } else if (np >= 5 && strcmp(parts[0], "policies") == 0 && sel[1] &&
               strcmp(parts[2], "interventions") == 0 && sel[3]) {
        int p = pick(parts[1], sc->n_policies,
                     sf_scenario_policy_index(sc, parts[1]));
        const sf_policy *pol = p >= 0 ? &sc->policies[p] : NULL;
        int i = pol ? pick(parts[3], pol->n_interventions, -1) : -1;
        const sf_intervention *iv = i >= 0 ? &pol->interventions[i] : NULL;
        if (iv == NULL) {
            /* not known */
        } else if (last == 4 && iv->kind == SF_IV_STOCKPILE &&
                   (strcmp(key, "initial") == 0 ||
                    strcmp(key, "capacity") == 0)) {
            /* A stockpile holds the demand node's input. */
            if (iv->node >= 0 && (size_t)iv->node < sc->n_nodes)
                unit_of(sc, sc->nodes[iv->node].input, "", buf, n);
        } else if (last == 5 && strcmp(parts[4], "node") == 0 &&
                   iv->kind == SF_IV_NEW_CAPACITY) {
            node_key_unit(sc, iv->node, key, buf, n);
        }
    }
}

/* Name parts of a path: keys, id selectors, and index selectors joined to
 * their key ("interventions[0]"). */
static size_t name_parts(const char *path, char parts[][128])
{
    char raw[PATH_PARTS][128];
    bool sel[PATH_PARTS];
    size_t np = split_path(path, raw, sel), n = 0;
    for (size_t i = 0; i < np; i++) {
        if (sel[i] && all_digits(raw[i]) && n > 0) {
            size_t len = strlen(parts[n - 1]);
            snprintf(parts[n - 1] + len, 128 - len, "[%s]", raw[i]);
        } else {
            snprintf(parts[n++], 128, "%s", raw[i]);
        }
    }
    return n;
}

/* The last `len` name parts of a path, joined with '.'; malloc'd. */
static char *tail(const char *path, size_t len)
{
    char parts[PATH_PARTS][128];
    size_t np = name_parts(path, parts);
    if (np == 0)
        return strdup(path);
    if (len > np)
        len = np;
    size_t size = 1;
    for (size_t i = np - len; i < np; i++)
        size += strlen(parts[i]) + 1;
    char *s = malloc(size);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t i = np - len; i < np; i++) {
        if (i > np - len)
            strcat(s, ".");
        strcat(s, parts[i]);
    }
    return s;
}

int sf_sweep_names(size_t n, const char *const *paths, char **names)
{
    char parts[PATH_PARTS][128];
    size_t *len = calloc(n ? n : 1, sizeof *len),
           *max = calloc(n ? n : 1, sizeof *max);
    int ret = 0;

    for (size_t k = 0; k < n; k++)
        names[k] = NULL;
    if (len == NULL || max == NULL) {
        ret = SF_ERR_NOMEM;
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        max[k] = name_parts(paths[k], parts);
        const char *last = max[k] ? parts[max[k] - 1] : "";
        /* A distribution's parameter goes with its key. */
        len[k] = max[k] > 1 && (one_of(last, dist_located) ||
                                one_of(last, dist_shaped))
                     ? 2
                     : 1;
    }
    /* Lengthen each name until no other path ends in the same parts (a
     * name of one length never equals a name of another: parts hold no
     * '.'). */
    for (size_t k = 0; k < n && ret == 0; k++) {
        for (bool clash = true; clash && len[k] < max[k];) {
            char *a = tail(paths[k], len[k]);
            clash = false;
            for (size_t j = 0; a != NULL && j < n && !clash; j++) {
                char *b = j == k ? NULL : tail(paths[j], len[k]);
                clash = b != NULL && strcmp(a, b) == 0;
                free(b);
            }
            if (a == NULL)
                ret = SF_ERR_NOMEM;
            free(a);
            if (clash)
                len[k]++;
        }
    }
    for (size_t k = 0; k < n && ret == 0; k++)
        if ((names[k] = tail(paths[k], len[k])) == NULL)
            ret = SF_ERR_NOMEM;
out:
    if (ret != 0)
        for (size_t k = 0; k < n; k++) {
            free(names[k]);
            names[k] = NULL;
        }
    free(len);
    free(max);
    return ret;
}
