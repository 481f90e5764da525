/*
 * config_internal.h — the YAML layer under the scenario loader, shared by
 * sim/config*.c (the schema) and sim/yamlnode.c (the document): one loaded
 * YAML document, the key path of the value being read, and typed readers
 * that report every problem as "file:line:col: key.path: message".
 *
 * Not installed and not part of the public API.
 */
#ifndef SF_CONFIG_INTERNAL_H
#define SF_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "shortfall.h"
#include "shortfall/scenario.h"

/* Limits of the document walk.  Aliases may repeat a node many times; every
 * visit counts, which defeats "billion laughs" documents. */
#define SF_CFG_MAX_VISITS 1000000UL
#define SF_CFG_MAX_DEPTH 64
#define SF_CFG_PATH_MAX 480

typedef struct {
    yaml_document_t doc;
    bool have_doc;
    const char *file; /* name used in messages */
    const char *text; /* the parsed text, for reader-error positions */
    size_t len;
    sf_error *err;
    char path[SF_CFG_PATH_MAX]; /* key path of the value being read */
    size_t path_len;
    unsigned long visits;
    /* Rotating buffers for user text quoted in messages. */
    char quoted[4][96];
    int next_quoted;
} sf_cfg;

/* Parses text as exactly one YAML document and checks it as a whole: no
 * explicit tags, scalar keys without duplicates, bounded depth and size. */
SF_MUST_CHECK
int sf_cfg_open(sf_cfg *c, const char *text, size_t len, const char *file,
                sf_error *err);
void sf_cfg_close(sf_cfg *c);
yaml_node_t *sf_cfg_root(sf_cfg *c);
yaml_node_t *sf_cfg_node(sf_cfg *c, int index);

/* The key path: push returns the old length, to be passed to pop. */
size_t sf_cfg_push_key(sf_cfg *c, const char *key);
size_t sf_cfg_push_index(sf_cfg *c, size_t index);
void sf_cfg_pop(sf_cfg *c, size_t old_len);
/* The current path, or "(document)" at the top. */
const char *sf_cfg_path(const sf_cfg *c);

sf_loc sf_cfg_loc(const yaml_node_t *n);

/* Formats "file:line:col: path: message" into the error and returns code. */
int sf_cfg_fail_at(sf_cfg *c, int code, sf_loc loc, const char *path,
                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* The same at node n (NULL: line 1, column 1) with the current path. */
int sf_cfg_fail(sf_cfg *c, int code, const yaml_node_t *n, const char *fmt,
                ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* "required key is missing", at map, with the path naming the key. */
int sf_cfg_fail_missing(sf_cfg *c, const yaml_node_t *map, const char *key);
int sf_cfg_nomem(sf_cfg *c);

/* User text made safe for a one-line message: control characters become
 * '?', long text is cut.  The result lives until four more calls. */
const char *sf_cfg_q(sf_cfg *c, const char *s);
/* "a mapping", "a list", "null", "the string \"x\"" or "'x'". */
const char *sf_cfg_describe(sf_cfg *c, const yaml_node_t *n);

/* The nearest candidate to a misspelt word, by Levenshtein distance. */
typedef struct {
    const char *word;
    const char *best;
    size_t best_dist;
} sf_cfg_near;

void sf_cfg_near_init(sf_cfg_near *near, const char *word);
void sf_cfg_near_add(sf_cfg_near *near, const char *candidate);
/* The best candidate if it is close enough to suggest, else NULL. */
const char *sf_cfg_near_best(const sf_cfg_near *near);

/* Names become HDF5 group names and strings in the results file (the
 * scenario and batch names, policy names, ids): at most this many bytes. */
#define SF_CFG_NAME_MAX 255

/* Why s cannot be a name in the results file, or NULL if it can: empty,
 * longer than SF_CFG_NAME_MAX bytes, '.' or '..', a '/', or a control
 * character (C0, DEL, or C1 in UTF-8); the text follows "it". */
const char *sf_cfg_name_problem(const char *s);

/* Readers.  Each reports its own error at n with the current path. */
yaml_node_t *sf_cfg_get(sf_cfg *c, const yaml_node_t *map, const char *key);
yaml_node_t *sf_cfg_get_key_node(sf_cfg *c, const yaml_node_t *map,
                                 const char *key);
SF_MUST_CHECK
int sf_cfg_expect(sf_cfg *c, const yaml_node_t *n, yaml_node_type_t type);
bool sf_cfg_is_null(const yaml_node_t *n);
const char *sf_cfg_scalar(const yaml_node_t *n);
SF_MUST_CHECK
int sf_cfg_string(sf_cfg *c, const yaml_node_t *n, const char **out);
SF_MUST_CHECK
int sf_cfg_number(sf_cfg *c, const yaml_node_t *n, double *out);
SF_MUST_CHECK
int sf_cfg_integer(sf_cfg *c, const yaml_node_t *n, long long lo,
                   long long hi, int hi_code, long long *out);
SF_MUST_CHECK
int sf_cfg_uint64(sf_cfg *c, const yaml_node_t *n, unsigned long long *out);

/* Checks the keys of map: a key not in all is SF_ERR_UNKNOWN_KEY (with the
 * nearest of valid, or of all when valid is NULL, as a suggestion); a key in
 * all but not in valid is SF_ERR_CONFLICT, "'k' does not apply to WHAT".
 * Both lists end with NULL. */
SF_MUST_CHECK
int sf_cfg_check_keys(sf_cfg *c, const yaml_node_t *map,
                      const char *const *all, const char *const *valid,
                      const char *what);

#endif
