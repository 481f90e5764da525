/*
 * yamlnode.c — the YAML document under the scenario loader: parsing with
 * libyaml's document API, the whole-document checks (one document, no
 * explicit tags, no duplicate keys, bounded alias expansion and depth),
 * the key path and the message format, typed scalar readers and the
 * "did you mean" suggestions.  The schema itself is in sim/config*.c.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* Longest words compared for suggestions; longer ones never match. */
#define NEAR_MAX_LEN 64

sf_loc sf_cfg_loc(const yaml_node_t *n)
{
    sf_loc loc = {1, 1};
    if (n != NULL) {
        loc.line = (int)n->start_mark.line + 1;
        loc.col = (int)n->start_mark.column + 1;
    }
    return loc;
}

const char *sf_cfg_path(const sf_cfg *c)
{
    return c->path_len > 0 ? c->path : "(document)";
}

int sf_cfg_fail_at(sf_cfg *c, int code, sf_loc loc, const char *path,
                   const char *fmt, ...)
{
    char msg[sizeof c->err->msg];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sf_error_set(c->err, code, "%s:%d:%d: %s: %s", c->file, loc.line,
                        loc.col, path, msg);
}

int sf_cfg_fail(sf_cfg *c, int code, const yaml_node_t *n, const char *fmt,
                ...)
{
    char msg[sizeof c->err->msg];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sf_cfg_fail_at(c, code, sf_cfg_loc(n), sf_cfg_path(c), "%s", msg);
}

int sf_cfg_fail_missing(sf_cfg *c, const yaml_node_t *map, const char *key)
{
    size_t old = sf_cfg_push_key(c, key);
    int rc = sf_cfg_fail(c, SF_ERR_MISSING_KEY, map, "required key is missing");
    sf_cfg_pop(c, old);
    return rc;
}

int sf_cfg_nomem(sf_cfg *c)
{
    return sf_error_set(c->err, SF_ERR_NOMEM, "%s: out of memory", c->file);
}

/* Copies at most max bytes of s into out, replacing control characters and
 * cutting at a UTF-8 character boundary with "..." when s is longer. */
static void clip(char *out, size_t size, const char *s, size_t max)
{
    size_t i = 0, o = 0;

    if (max + 4 > size)
        max = size - 4;
    while (s[i] != '\0' && o < max) {
        unsigned char ch = (unsigned char)s[i];
        /* A C1 control character (U+0080..U+009F) is two bytes in UTF-8. */
        bool c1 = ch == 0xc2 && (unsigned char)s[i + 1] >= 0x80 &&
                  (unsigned char)s[i + 1] <= 0x9f;
        out[o++] = (ch < 0x20 || ch == 0x7f || c1) ? '?' : (char)ch;
        i += c1 ? 2 : 1;
    }
    if (s[i] != '\0') {
        /* Back up over a cut multi-byte character. */
        while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
            o--;
        if (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0)
            o--;
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

const char *sf_cfg_q(sf_cfg *c, const char *s)
{
    char *buf = c->quoted[c->next_quoted];

    c->next_quoted = (c->next_quoted + 1) % 4;
    clip(buf, sizeof c->quoted[0], s != NULL ? s : "", 60);
    return buf;
}

bool sf_cfg_is_null(const yaml_node_t *n)
{
    const char *v;

    if (n == NULL || n->type != YAML_SCALAR_NODE ||
        n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    v = (const char *)n->data.scalar.value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

const char *sf_cfg_describe(sf_cfg *c, const yaml_node_t *n)
{
    char text[72];
    char *buf;

    if (n == NULL)
        return "nothing";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (sf_cfg_is_null(n))
        return "null";
    clip(text, sizeof text, (const char *)n->data.scalar.value, 60);
    buf = c->quoted[c->next_quoted];
    c->next_quoted = (c->next_quoted + 1) % 4;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        snprintf(buf, sizeof c->quoted[0], "'%s'", text);
    else
        snprintf(buf, sizeof c->quoted[0], "the string \"%s\"", text);
    return buf;
}

static size_t path_set_len(sf_cfg *c, size_t len)
{
    if (len >= sizeof c->path)
        len = sizeof c->path - 1;
    c->path_len = len;
    c->path[len] = '\0';
    return len;
}

/* Appends n bytes to the path, cut at the buffer's end.  (No snprintf:
 * the walk over a document pushes a segment for every value it visits.) */
static void path_append(sf_cfg *c, const char *s, size_t n)
{
    size_t room = sizeof c->path - 1 - c->path_len;

    if (n > room)
        n = room;
    memcpy(c->path + c->path_len, s, n);
    path_set_len(c, c->path_len + n);
}

size_t sf_cfg_push_key(sf_cfg *c, const char *key)
{
    size_t old = c->path_len;
    char seg[80];

    clip(seg, sizeof seg, key, 64);
    if (old > 0)
        path_append(c, ".", 1);
    path_append(c, seg, strlen(seg));
    return old;
}

size_t sf_cfg_push_index(sf_cfg *c, size_t index)
{
    size_t old = c->path_len;
    char buf[24];
    size_t at = sizeof buf;

    buf[--at] = ']';
    do {
        buf[--at] = (char)('0' + index % 10);
        index /= 10;
    } while (index > 0);
    buf[--at] = '[';
    path_append(c, buf + at, sizeof buf - at);
    return old;
}

void sf_cfg_pop(sf_cfg *c, size_t old_len)
{
    path_set_len(c, old_len);
}

yaml_node_t *sf_cfg_node(sf_cfg *c, int index)
{
    return yaml_document_get_node(&c->doc, index);
}

yaml_node_t *sf_cfg_root(sf_cfg *c)
{
    return c->have_doc ? yaml_document_get_root_node(&c->doc) : NULL;
}

const char *sf_cfg_scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE
               ? (const char *)n->data.scalar.value
               : NULL;
}

/* ---- Suggestions ------------------------------------------------------ */

static size_t levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[NEAR_MAX_LEN + 1];

    if (la > NEAR_MAX_LEN || lb > NEAR_MAX_LEN)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void sf_cfg_near_init(sf_cfg_near *near, const char *word)
{
    near->word = word;
    near->best = NULL;
    near->best_dist = SIZE_MAX;
}

void sf_cfg_near_add(sf_cfg_near *near, const char *candidate)
{
    size_t d;

    if (candidate == NULL)
        return;
    d = levenshtein(near->word, candidate);
    if (d < near->best_dist) {
        near->best_dist = d;
        near->best = candidate;
    }
}

const char *sf_cfg_near_best(const sf_cfg_near *near)
{
    size_t len = strlen(near->word);
    size_t limit = len / 3 > 2 ? len / 3 : 2;

    /* A candidate as far away as the word is long shares nothing with it,
     * whatever the limit says ("id" is two edits from "kind"). */
    if (near->best == NULL || near->best_dist > limit || near->best_dist >= len)
        return NULL;
    return near->best;
}

/* ---- Names ------------------------------------------------------------ */

const char *sf_cfg_name_problem(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);

    if (len == 0)
        return "is empty";
    if (len > SF_CFG_NAME_MAX)
        return "is longer than 255 bytes";
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return "is '.' or '..', which cannot name a group in the results "
               "file";
    for (size_t i = 0; i < len; i++) {
        if (u[i] == '/')
            return "contains '/', which would make it a path of groups in "
                   "the results file";
        if (u[i] < 0x20 || u[i] == 0x7f ||
            (u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f))
            return "contains a control character (tab, newline, ...)";
    }
    return NULL;
}

/* ---- Readers ---------------------------------------------------------- */

yaml_node_t *sf_cfg_get_key_node(sf_cfg *c, const yaml_node_t *map,
                                 const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = sf_cfg_node(c, p->key);
        const char *s = sf_cfg_scalar(k);
        if (s != NULL && strcmp(s, key) == 0)
            return k;
    }
    return NULL;
}

yaml_node_t *sf_cfg_get(sf_cfg *c, const yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        const char *s = sf_cfg_scalar(sf_cfg_node(c, p->key));
        if (s != NULL && strcmp(s, key) == 0)
            return sf_cfg_node(c, p->value);
    }
    return NULL;
}

int sf_cfg_expect(sf_cfg *c, const yaml_node_t *n, yaml_node_type_t type)
{
    const char *want = type == YAML_MAPPING_NODE    ? "a mapping"
                       : type == YAML_SEQUENCE_NODE ? "a list"
                                                    : "a single value";

    if (n != NULL && n->type == type)
        return 0;
    return sf_cfg_fail(c, SF_ERR_TYPE, n, "expected %s, got %s", want,
                       sf_cfg_describe(c, n));
}

int sf_cfg_string(sf_cfg *c, const yaml_node_t *n, const char **out)
{
    int rc = 0;

    if (n == NULL || n->type != YAML_SCALAR_NODE || sf_cfg_is_null(n)) {
        rc = sf_cfg_fail(c, SF_ERR_TYPE, n, "expected a string, got %s",
                         sf_cfg_describe(c, n));
        goto out;
    }
    /* A double-quoted "\0" would silently cut the string short. */
    if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
        rc = sf_cfg_fail(c, SF_ERR_TYPE, n,
                         "strings may not contain NUL characters");
        goto out;
    }
    *out = (const char *)n->data.scalar.value;
out:
    return rc;
}

/* YAML's spellings of infinity and not-a-number, which strtod does not
 * read; strtod's own ("inf", "nan", "infinity") are caught by isfinite. */
static bool yaml_nonfinite(const char *s)
{
    static const char *const forms[] = {
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL};

    for (size_t i = 0; forms[i] != NULL; i++)
        if (strcmp(s, forms[i]) == 0)
            return true;
    return false;
}

int sf_cfg_number(sf_cfg *c, const yaml_node_t *n, double *out)
{
    int rc = 0;
    const char *s;
    char *end;
    double v;

    if (n == NULL || n->type != YAML_SCALAR_NODE || sf_cfg_is_null(n) ||
        n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        rc = sf_cfg_fail(c, SF_ERR_TYPE, n, "expected a number, got %s",
                         sf_cfg_describe(c, n));
        goto out;
    }
    s = (const char *)n->data.scalar.value;
    if (yaml_nonfinite(s)) {
        rc = sf_cfg_fail(c, SF_ERR_RANGE, n, "must be a finite number, got %s",
                         sf_cfg_q(c, s));
        goto out;
    }
    v = strtod(s, &end);
    if (end == s || *end != '\0') {
        rc = sf_cfg_fail(c, SF_ERR_TYPE, n, "expected a number, got %s",
                         sf_cfg_describe(c, n));
        goto out;
    }
    if (!isfinite(v)) {
        rc = sf_cfg_fail(c, SF_ERR_RANGE, n, "must be a finite number, got %s",
                         sf_cfg_q(c, s));
        goto out;
    }
    *out = v;
out:
    return rc;
}

static bool all_digits(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int sf_cfg_integer(sf_cfg *c, const yaml_node_t *n, long long lo,
                   long long hi, int hi_code, long long *out)
{
    int rc;
    double d;
    long long v;
    const char *s;

    rc = sf_cfg_number(c, n, &d);
    if (rc < 0)
        goto out;
    s = (const char *)n->data.scalar.value;
    if (d != floor(d)) {
        rc = sf_cfg_fail(c, SF_ERR_TYPE, n, "expected a whole number, got %s",
                         sf_cfg_q(c, s));
        goto out;
    }
    if (d < (double)lo) {
        rc = sf_cfg_fail(c, SF_ERR_RANGE, n, "must be >= %lld, got %s", lo,
                         sf_cfg_q(c, s));
        goto out;
    }
    if (d > (double)hi) {
        rc = sf_cfg_fail(c, hi_code, n, "must be <= %lld, got %s", hi,
                         sf_cfg_q(c, s));
        goto out;
    }
    /* Plain digits are read exactly; other forms ("1e4") through double. */
    if (all_digits(s)) {
        v = strtoll(s, NULL, 10);
    } else {
        v = (long long)d;
    }
    if (v < lo || v > hi) {
        rc = sf_cfg_fail(c, v < lo ? SF_ERR_RANGE : hi_code, n,
                         "must be in [%lld, %lld], got %s", lo, hi,
                         sf_cfg_q(c, s));
        goto out;
    }
    *out = v;
out:
    return rc;
}

int sf_cfg_uint64(sf_cfg *c, const yaml_node_t *n, unsigned long long *out)
{
    int rc;
    double d;
    const char *s;
    unsigned long long v;

    rc = sf_cfg_number(c, n, &d);
    if (rc < 0)
        goto out;
    s = (const char *)n->data.scalar.value;
    if (d != floor(d)) {
        rc = sf_cfg_fail(c, SF_ERR_TYPE, n, "expected a whole number, got %s",
                         sf_cfg_q(c, s));
        goto out;
    }
    if (d < 0) {
        rc = sf_cfg_fail(c, SF_ERR_RANGE, n, "must be >= 0, got %s",
                         sf_cfg_q(c, s));
        goto out;
    }
    if (all_digits(s) && s[0] != '-') {
        errno = 0;
        v = strtoull(s, NULL, 10);
        if (errno == ERANGE) {
            rc = sf_cfg_fail(c, SF_ERR_RANGE, n,
                             "must be <= 18446744073709551615, got %s",
                             sf_cfg_q(c, s));
            goto out;
        }
    } else if (d >= 18446744073709551616.0) {
        rc = sf_cfg_fail(c, SF_ERR_RANGE, n,
                         "must be <= 18446744073709551615, got %s",
                         sf_cfg_q(c, s));
        goto out;
    } else {
        v = (unsigned long long)d;
    }
    *out = v;
out:
    return rc;
}

int sf_cfg_check_keys(sf_cfg *c, const yaml_node_t *map,
                      const char *const *all, const char *const *valid,
                      const char *what)
{
    int rc = 0;

    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top && rc == 0; p++) {
        yaml_node_t *k = sf_cfg_node(c, p->key);
        const char *key = sf_cfg_scalar(k);
        bool known = false, applies = valid == NULL;
        size_t old;

        for (size_t i = 0; all[i] != NULL && !known; i++)
            known = strcmp(all[i], key) == 0;
        for (size_t i = 0; valid != NULL && valid[i] != NULL && !applies; i++)
            applies = strcmp(valid[i], key) == 0;
        if (known && applies)
            continue;
        old = sf_cfg_push_key(c, key);
        if (!known) {
            const char *const *cands = valid != NULL ? valid : all;
            sf_cfg_near near;
            sf_cfg_near_init(&near, key);
            for (size_t i = 0; cands[i] != NULL; i++)
                sf_cfg_near_add(&near, cands[i]);
            if (sf_cfg_near_best(&near) != NULL) {
                rc = sf_cfg_fail(c, SF_ERR_UNKNOWN_KEY, k,
                                 "unknown key '%s'; did you mean '%s'?",
                                 sf_cfg_q(c, key), sf_cfg_near_best(&near));
            } else {
                char list[600];
                size_t used = 0;
                list[0] = '\0';
                for (size_t i = 0; cands[i] != NULL; i++) {
                    int w = snprintf(list + used, sizeof list - used, "%s%s",
                                     i > 0 ? ", " : "", cands[i]);
                    if (w < 0 || (size_t)w >= sizeof list - used)
                        break;
                    used += (size_t)w;
                }
                rc = sf_cfg_fail(c, SF_ERR_UNKNOWN_KEY, k,
                                 "unknown key '%s'; valid keys: %s",
                                 sf_cfg_q(c, key), list);
            }
        } else {
            rc = sf_cfg_fail(c, SF_ERR_CONFLICT, k, "'%s' does not apply to %s",
                             key, what);
        }
        sf_cfg_pop(c, old);
    }
    return rc;
}

/* ---- Whole-document checks -------------------------------------------- */

typedef struct {
    const char *s;
    size_t len;
    size_t pos;
} key_ref;

static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int d = memcmp(x->s, y->s, n);

    if (d != 0)
        return d;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Finds the first key (in document order) that repeats an earlier one. */
static int check_duplicate_keys(sf_cfg *c, const yaml_node_t *map)
{
    int rc = 0;
    size_t n = (size_t)(map->data.mapping.pairs.top -
                        map->data.mapping.pairs.start);
    key_ref *refs = NULL;
    size_t dup = SIZE_MAX, first = 0;

    if (n < 2)
        goto out;
    refs = malloc(n * sizeof *refs);
    if (refs == NULL) {
        rc = sf_cfg_nomem(c);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *k =
            sf_cfg_node(c, map->data.mapping.pairs.start[i].key);
        refs[i].s = (const char *)k->data.scalar.value;
        refs[i].len = k->data.scalar.length;
        refs[i].pos = i;
    }
    qsort(refs, n, sizeof *refs, key_ref_cmp);
    for (size_t i = 1; i < n; i++) {
        if (refs[i].len == refs[i - 1].len &&
            memcmp(refs[i].s, refs[i - 1].s, refs[i].len) == 0 &&
            refs[i].pos < dup && (i < 2 || refs[i - 2].len != refs[i].len ||
                                  memcmp(refs[i - 2].s, refs[i].s,
                                         refs[i].len) != 0)) {
            dup = refs[i].pos;
            first = refs[i - 1].pos;
        }
    }
    if (dup != SIZE_MAX) {
        const yaml_node_t *k =
            sf_cfg_node(c, map->data.mapping.pairs.start[dup].key);
        const yaml_node_t *k0 =
            sf_cfg_node(c, map->data.mapping.pairs.start[first].key);
        size_t old = sf_cfg_push_key(c, (const char *)k->data.scalar.value);
        sf_loc l0 = sf_cfg_loc(k0);
        rc = sf_cfg_fail(c, SF_ERR_DUPLICATE, k,
                         "key '%s' appears twice in one mapping (first at "
                         "line %d, column %d)",
                         sf_cfg_q(c, (const char *)k->data.scalar.value),
                         l0.line, l0.col);
        sf_cfg_pop(c, old);
    }
out:
    free(refs);
    return rc;
}

static int check_tag(sf_cfg *c, const yaml_node_t *n)
{
    const char *tag = (const char *)n->tag;
    const char *dflt = n->type == YAML_SCALAR_NODE ? YAML_DEFAULT_SCALAR_TAG
                       : n->type == YAML_SEQUENCE_NODE
                           ? YAML_DEFAULT_SEQUENCE_TAG
                           : YAML_DEFAULT_MAPPING_TAG;

    if (tag == NULL || strcmp(tag, dflt) == 0)
        return 0;
    return sf_cfg_fail(c, SF_ERR_TYPE, n,
                       "explicit YAML tags are not supported, got '%s'",
                       sf_cfg_q(c, tag));
}

/* Counts one visit of n; past the limit the document is refused. */
static int visit(sf_cfg *c, const yaml_node_t *n)
{
    if (++c->visits <= SF_CFG_MAX_VISITS)
        return 0;
    return sf_cfg_fail(c, SF_ERR_LIMIT, n,
                       "the document expands to more than %lu values "
                       "(an alias counts every time it is used)",
                       SF_CFG_MAX_VISITS);
}

/* Visits every node reachable from n, following aliases each time. */
static int walk(sf_cfg *c, const yaml_node_t *n, int depth)
{
    int rc;

    rc = visit(c, n);
    if (rc < 0)
        goto out;
    if (depth > SF_CFG_MAX_DEPTH) {
        rc = sf_cfg_fail(c, SF_ERR_LIMIT, n, "nested more than %d levels deep",
                         SF_CFG_MAX_DEPTH);
        goto out;
    }
    rc = check_tag(c, n);
    if (rc < 0)
        goto out;
    if (n->type == YAML_SEQUENCE_NODE) {
        size_t i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top && rc == 0; it++, i++) {
            size_t old = sf_cfg_push_index(c, i);
            rc = walk(c, sf_cfg_node(c, *it), depth + 1);
            sf_cfg_pop(c, old);
        }
    } else if (n->type == YAML_MAPPING_NODE) {
        /* Keys first, so that a repeated key is reported before anything
         * found in the values. */
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             p < n->data.mapping.pairs.top; p++) {
            const yaml_node_t *k = sf_cfg_node(c, p->key);
            if (k->type != YAML_SCALAR_NODE) {
                rc = sf_cfg_fail(c, SF_ERR_TYPE, k,
                                 "keys must be plain names, got %s",
                                 sf_cfg_describe(c, k));
                goto out;
            }
            rc = visit(c, k);
            if (rc == 0)
                rc = check_tag(c, k);
            if (rc < 0)
                goto out;
        }
        rc = check_duplicate_keys(c, n);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             p < n->data.mapping.pairs.top && rc == 0; p++) {
            const char *key = sf_cfg_scalar(sf_cfg_node(c, p->key));
            size_t old = sf_cfg_push_key(c, key);
            rc = walk(c, sf_cfg_node(c, p->value), depth + 1);
            sf_cfg_pop(c, old);
        }
    }
out:
    return rc;
}

/* Line and column (1-based) of a byte offset, for reader errors that carry
 * an offset instead of a mark. */
static sf_loc offset_loc(const sf_cfg *c, size_t offset)
{
    sf_loc loc = {1, 1};

    for (size_t i = 0; i < offset && i < c->len; i++) {
        if (c->text[i] == '\n') {
            loc.line++;
            loc.col = 1;
        } else if (((unsigned char)c->text[i] & 0xc0) != 0x80) {
            loc.col++;
        }
    }
    return loc;
}

static int syntax_error(sf_cfg *c, const yaml_parser_t *p)
{
    sf_loc loc;

    if (p->error == YAML_MEMORY_ERROR)
        return sf_cfg_nomem(c);
    if (p->error == YAML_READER_ERROR) {
        loc = offset_loc(c, p->problem_offset);
        return sf_cfg_fail_at(c, SF_ERR_SYNTAX, loc, "(document)",
                              "not well-formed YAML: %s",
                              p->problem != NULL ? p->problem : "unreadable");
    }
    loc.line = (int)p->problem_mark.line + 1;
    loc.col = (int)p->problem_mark.column + 1;
    if (p->context != NULL)
        return sf_cfg_fail_at(c, SF_ERR_SYNTAX, loc, "(document)",
                              "not well-formed YAML: %s %s (line %d, column "
                              "%d)",
                              p->problem != NULL ? p->problem : "error",
                              p->context, (int)p->context_mark.line + 1,
                              (int)p->context_mark.column + 1);
    return sf_cfg_fail_at(c, SF_ERR_SYNTAX, loc, "(document)",
                          "not well-formed YAML: %s",
                          p->problem != NULL ? p->problem : "error");
}

/* One open collection of the prescan: where its next item goes in the key
 * path. */
typedef struct {
    bool mapping;
    bool at_key;  /* mapping: the next scalar is a key */
    size_t index; /* sequence: the next item's index */
    char key[80]; /* longer keys are cut in the path anyway */
} scan_level;

/* The key path of the item about to open at level depth (levels[0] is the
 * root collection). */
static void scan_path(sf_cfg *c, const scan_level *levels, int depth)
{
    c->path_len = 0;
    c->path[0] = '\0';
    for (int i = 0; i < depth; i++) {
        if (levels[i].mapping)
            sf_cfg_push_key(c, levels[i].key);
        else
            sf_cfg_push_index(c, levels[i].index);
    }
}

/* An item (scalar, alias or collection) was read at level depth - 1. */
static void scan_item(scan_level *levels, int depth, const yaml_event_t *ev)
{
    scan_level *l;

    if (depth == 0)
        return;
    l = &levels[depth - 1];
    if (!l->mapping) {
        l->index++;
    } else if (l->at_key) {
        /* Keys that are not plain scalars are refused by the walk. */
        const char *k = ev->type == YAML_SCALAR_EVENT
                            ? (const char *)ev->data.scalar.value
                            : "?";
        snprintf(l->key, sizeof l->key, "%s", k);
        l->at_key = false;
    } else {
        l->at_key = true;
    }
}

/* Counts the values of the stream event by event, before the document
 * API builds them all in memory: a large file of tiny values would
 * otherwise take many times its size in memory before the walk refuses it.
 * It also stops deep nesting early: libyaml's scanner takes time
 * quadratic in the depth of flow collections ("[[[[..."), so a 1 MB file of
 * brackets would take minutes before the walk could refuse it. */
static int prescan(sf_cfg *c)
{
    yaml_parser_t parser;
    yaml_event_t event;
    unsigned long values = 0;
    bool done = false;
    int rc = 0, depth = 0;
    /* The walk allows nodes at depths 0 .. SF_CFG_MAX_DEPTH. */
    scan_level levels[SF_CFG_MAX_DEPTH + 1];

    if (!yaml_parser_initialize(&parser))
        return sf_cfg_nomem(c);
    yaml_parser_set_input_string(&parser, (const unsigned char *)c->text,
                                 c->len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&parser, &event)) {
            rc = syntax_error(c, &parser);
            break;
        }
        switch (event.type) {
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++values > SF_CFG_MAX_VISITS) {
                sf_loc loc = {(int)event.start_mark.line + 1,
                              (int)event.start_mark.column + 1};
                rc = sf_cfg_fail_at(c, SF_ERR_LIMIT, loc, "(document)",
                                    "the document holds more than %lu "
                                    "values",
                                    SF_CFG_MAX_VISITS);
                break;
            }
            if (event.type == YAML_SCALAR_EVENT ||
                event.type == YAML_ALIAS_EVENT) {
                scan_item(levels, depth, &event);
                break;
            }
            if (depth > SF_CFG_MAX_DEPTH) {
                scan_path(c, levels, depth);
                rc = sf_cfg_fail_at(c, SF_ERR_LIMIT,
                                    (sf_loc){(int)event.start_mark.line + 1,
                                             (int)event.start_mark.column + 1},
                                    sf_cfg_path(c),
                                    "nested more than %d levels deep",
                                    SF_CFG_MAX_DEPTH);
                break;
            }
            /* The walk sees the same nesting; keep what it will report. */
            memset(&levels[depth], 0, sizeof levels[depth]);
            levels[depth].mapping =
                event.type == YAML_MAPPING_START_EVENT;
            levels[depth].at_key = true;
            depth++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            scan_item(levels, depth, &event);
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return rc;
}

int sf_cfg_open(sf_cfg *c, const char *text, size_t len, const char *file,
                sf_error *err)
{
    int rc = 0;
    yaml_parser_t parser;
    yaml_document_t extra;
    bool have_parser = false;
    yaml_node_t *root, *second;

    memset(c, 0, sizeof *c);
    c->file = file;
    c->text = text;
    c->len = len;
    c->err = err;
    rc = prescan(c);
    if (rc < 0)
        goto out;
    if (!yaml_parser_initialize(&parser)) {
        rc = sf_cfg_nomem(c);
        goto out;
    }
    have_parser = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &c->doc)) {
        rc = syntax_error(c, &parser);
        goto out;
    }
    c->have_doc = true;
    root = yaml_document_get_root_node(&c->doc);
    if (root == NULL) {
        rc = sf_cfg_fail(c, SF_ERR_TYPE, NULL,
                         "the file holds no YAML document; expected a mapping "
                         "with at least name, commodities and nodes");
        goto out;
    }
    if (!yaml_parser_load(&parser, &extra)) {
        rc = syntax_error(c, &parser);
        goto out;
    }
    second = yaml_document_get_root_node(&extra);
    if (second != NULL) {
        sf_loc loc = {(int)extra.start_mark.line + 1,
                      (int)extra.start_mark.column + 1};
        rc = sf_cfg_fail_at(c, SF_ERR_SYNTAX, loc, "(document)",
                            "a second YAML document starts here; a scenario "
                            "file holds exactly one");
    }
    yaml_document_delete(&extra);
    if (rc < 0)
        goto out;
    rc = walk(c, root, 0);
out:
    if (have_parser)
        yaml_parser_delete(&parser);
    c->path_len = 0;
    c->path[0] = '\0';
    return rc;
}

void sf_cfg_close(sf_cfg *c)
{
    if (c->have_doc)
        yaml_document_delete(&c->doc);
    c->have_doc = false;
}
