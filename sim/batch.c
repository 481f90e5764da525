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

static int parse_sweep(sf_cfg *c, const yaml_node_t *map, sf_sweep *sw)
{
    static const char *const keys[] = {"path", "values", NULL};
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
    if ((ret = sf_cfg_expect(c, n, YAML_SEQUENCE_NODE)) != 0)
        return ret;
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
    sf_cfg_pop(c, old);
    return 0;
}

int sf_batch_load(sf_batch *b, const char *text, size_t len, const char *file,
                  sf_error *err)
{
    static const char *const keys[] = {"batch", "scenarios", "sweeps",
                                       "combine", "trials", "seed", NULL};
    sf_cfg c;
    yaml_node_t *root, *n;
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
                                   &b->sweeps[k])) != 0)
                goto out;
            sf_cfg_pop(&c, o2);
        }
        sf_cfg_pop(&c, old);
    }
    if ((n = sf_cfg_get(&c, root, "combine")) != NULL) {
        old = sf_cfg_push_key(&c, "combine");
        if ((ret = sf_cfg_string(&c, n, &s)) != 0)
            goto out;
        if (strcmp(s, "zip") == 0) {
            b->zip = true;
        } else if (strcmp(s, "grid") != 0) {
            ret = sf_cfg_fail(&c, SF_ERR_UNKNOWN_REF, n,
                              "combine is 'grid' (every combination) or "
                              "'zip' (the i-th values together), got '%s'",
                              sf_cfg_q(&c, s));
            goto out;
        }
        for (size_t k = 1; b->zip && k < b->n_sweeps; k++)
            if (b->sweeps[k].n_values != b->sweeps[0].n_values) {
                ret = sf_cfg_fail(&c, SF_ERR_CONFLICT, n,
                                  "combine: zip needs sweeps of equal length "
                                  "(%zu and %zu values)",
                                  b->sweeps[0].n_values,
                                  b->sweeps[k].n_values);
                goto out;
            }
        sf_cfg_pop(&c, old);
    }
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
    ret = 0;
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
    if (b->zip)
        return b->sweeps[0].n_values;
    size_t n = 1;
    for (size_t k = 0; k < b->n_sweeps; k++)
        n *= b->sweeps[k].n_values;
    return n;
}

double sf_batch_value(const sf_batch *b, size_t combo, size_t k)
{
    if (b->zip)
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
