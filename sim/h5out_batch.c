/*
 * h5out_batch.c — batch files and parts: the root attributes and
 * coordinates of a batch, then one group per variant written as a run's
 * scenario group.  Part of the results writer (h5out_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "h5out_internal.h"
#include "h5util.h"
#include "shortfall/h5file.h"

/* A [variant] string dataset attached to the variant coordinate v. */
static int write_strings(hid_t file, hid_t v, const char *name, size_t n,
                         const char *const *values, const char *long_name)
{
    hsize_t d[1] = {n};
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate_simple(1, d, NULL), ds = -1;
    int ret = SF_ERR_HDF5;

    if (t >= 0 && sp >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 &&
        H5Tset_cset(t, H5T_CSET_UTF8) >= 0 &&
        (ds = H5Dcreate2(file, name, t, sp, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT)) >= 0 &&
        H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0 &&
        H5DSattach_scale(ds, v, 0) >= 0 &&
        sf_h5_attr_str(ds, "long_name", long_name) == 0)
        ret = 0;
    if (ds >= 0)
        H5Dclose(ds);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return ret;
}

/* sweep_<k> [variant]: the swept values, with the sweep's path, name,
 * unit and (for a range) range_lo, range_hi and log. */
static int write_sweeps(hid_t file, hid_t v, const sf_h5_batch *b)
{
    double *col = malloc((b->n_variants + 1) * sizeof *col);
    int ret = col == NULL ? SF_ERR_NOMEM : 0;

    for (size_t k = 0; ret == 0 && k < b->n_sweeps; k++) {
        char name[32], ln[512];
        for (size_t i = 0; i < b->n_variants; i++)
            col[i] = b->sweep_values[i * b->n_sweeps + k];
        snprintf(name, sizeof name, "sweep_%zu", k);
        snprintf(ln, sizeof ln, "swept value of %s", b->sweep_paths[k]);
        hsize_t d[1] = {b->n_variants};
        hid_t s1[1] = {v};
        ret = sf_h5_write_var(file, name, H5T_NATIVE_DOUBLE, 1, d, s1, col,
                              b->sweep_units ? b->sweep_units[k] : "", ln);
        hid_t ds = ret == 0 ? H5Dopen2(file, name, H5P_DEFAULT) : -1;
        if (ret == 0 && ds < 0)
            ret = SF_ERR_HDF5;
        if (ret == 0)
            ret = sf_h5_attr_str(ds, "path", b->sweep_paths[k]);
        if (ret == 0 && b->sweep_names != NULL)
            ret = sf_h5_attr_str(ds, "name", b->sweep_names[k]);
        if (ret == 0 && b->sweep_ranged != NULL && b->sweep_ranged[k]) {
            ret = sf_h5_attr_double(ds, "range_lo", b->sweep_lo[k]);
            if (ret == 0)
                ret = sf_h5_attr_double(ds, "range_hi", b->sweep_hi[k]);
            if (ret == 0)
                ret = sf_h5_attr_int(ds, "log", b->sweep_log[k] ? 1 : 0);
        }
        if (ds >= 0)
            H5Dclose(ds);
    }
    free(col);
    return ret;
}

/* Sobol: which matrix, base point and column each variant is. */
static int write_sobol(hid_t file, hid_t v, const sf_h5_batch *b)
{
    hsize_t d[1] = {b->n_variants};
    hid_t s1[1] = {v};
    int ret = write_strings(file, v, "design_matrix", b->n_variants,
                            b->design_matrix,
                            "Saltelli matrix of the variant: A, B, or AB "
                            "(A with one sweep's value from B)");
    if (ret == 0)
        ret = sf_h5_write_var(file, "design_base", H5T_NATIVE_INT, 1, d, s1,
                              b->design_base, "1",
                              "base sample j of the variant (its point of "
                              "the Sobol sequence)");
    if (ret == 0)
        ret = sf_h5_write_var(file, "design_column", H5T_NATIVE_INT, 1, d, s1,
                              b->design_column, "1",
                              "AB: the sweep k (sweep_<k>) whose value comes "
                              "from B; -1 for A and B");
    return ret;
}

int sf_h5_batch_begin(sf_h5_out *o, const sf_h5_batch *b, sf_error *err)
{
    char created[32];
    int ret;
    hid_t v = -1, sc = -1;

    if (err != NULL)
        err->code = 0;
    if ((ret = sf_h5o_create_file(o, err)) != 0)
        return sf_h5o_finish(o, ret, err);
    sf_h5o_utc_now(created, sizeof created);
#define TRY(x)                                                                 \
    if (ret == 0)                                                              \
    ret = (x)
    char title[300], *history = sf_h5o_history(b->history, created,
                                               b->command_line);
    snprintf(title, sizeof title, "shortfall batch: %s", b->name);
    ret = history == NULL ? SF_ERR_NOMEM : 0;
    TRY(sf_h5_attr_str(o->file, "Conventions", "CF-1.8"));
    TRY(sf_h5_attr_str(o->file, "title", title));
    TRY(sf_h5_attr_str(o->file, "history", history));
    free(history);
    TRY(sf_h5_attr_str(o->file, "software", SF_SOFTWARE));
    TRY(sf_h5_attr_str(o->file, "version", SF_VERSION));
    TRY(sf_h5_attr_int(o->file, "format_version", SF_FORMAT_VERSION));
    TRY(sf_h5_attr_str(o->file, "kind", "batch"));
    TRY(sf_h5_attr_str(o->file, "git_commit", b->git_commit));
    TRY(sf_h5_attr_str(o->file, "created", created));
    TRY(sf_h5_attr_str(o->file, "command_line", b->command_line));
    TRY(sf_h5_attr_str(o->file, "batch_name", b->name));
    TRY(sf_h5_attr_str(o->file, "batch_file", b->file));
    TRY(sf_h5_attr_str(o->file, "batch_text", b->text));
    if (b->part) {
        TRY(sf_h5_attr_int(o->file, "part", 1));
        TRY(sf_h5_attr_str(o->file, "run_options",
                           b->run_options ? b->run_options : ""));
        TRY(sf_h5_attr_str(o->file, "scenario_sources",
                           b->sources ? b->sources : ""));
    }
    if (ret != 0)
        return sf_h5o_finish(o, ret, err);
    /* The names again as fixed-length strings, which is what `merge` and
     * `check` read (sf_h5_attr_str_list). */
    if (sf_h5_attr_str_list(o->file, "variant_names", b->n_variants,
                            (const char *const *)b->variants) != 0 ||
        sf_h5_attr_str_list(o->file, "variant_scenarios", b->n_variants,
                            (const char *const *)b->scenarios) != 0)
        return sf_h5o_finish(o, SF_ERR_HDF5, err);
    v = sf_h5_coord_str(o->file, "variant", b->n_variants, b->variants,
                        "variant: a scenario with one combination of swept "
                        "values; its results are the group of that name");
    ret = v < 0 ? SF_ERR_HDF5 : 0;
    if (ret == 0) {
        hsize_t d[1] = {b->n_variants};
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_UTF8);
        /* The scenario of each variant, as an auxiliary coordinate. */
        hid_t sp = H5Screate_simple(1, d, NULL);
        sc = H5Dcreate2(o->file, "scenario", t, sp, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
        H5Sclose(sp);
        if (sc < 0 || H5Dwrite(sc, t, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                               b->scenarios) < 0 ||
            H5DSattach_scale(sc, v, 0) < 0 ||
            sf_h5_attr_str(sc, "long_name", "scenario of the variant") != 0)
            ret = SF_ERR_HDF5;
        H5Tclose(t);
    }
    TRY(sf_h5_attr_str(o->file, "design", b->design ? b->design : "grid"));
    if (b->design_samples > 0)
        TRY(sf_h5_attr_u64(o->file, "design_samples", b->design_samples));
    if (ret == 0)
        ret = write_sweeps(o->file, v, b);
    if (ret == 0 && b->design_matrix != NULL)
        ret = write_sobol(o->file, v, b);
#undef TRY
    if (sc >= 0)
        H5Dclose(sc);
    if (v >= 0)
        H5Dclose(v);
    return ret != 0 ? sf_h5o_finish(o, ret, err) : 0;
}

int sf_h5_batch_add(sf_h5_out *o, const char *variant, const sf_results *res,
                    const sf_h5_meta *meta, const double *values,
                    size_t n_sweeps, uint64_t batch_trials, sf_error *err)
{
    hid_t g = -1;
    char created[32];
    sf_h5_meta m = *meta; /* one time of creation for the variant's groups */
    if (m.created == NULL) {
        sf_h5o_utc_now(created, sizeof created);
        m.created = created;
    }
    int ret = sf_h5o_write_scenario_group(o->file, variant, res, &m, NULL, &g);
    if (ret == 0)
        ret = sf_h5o_write_root(g, res, &m);
    if (ret == 0 && batch_trials > 0)
        ret = sf_h5_attr_u64(g, "batch_trials", batch_trials);
    for (size_t k = 0; ret == 0 && k < n_sweeps; k++) {
        char name[32];
        snprintf(name, sizeof name, "sweep_%zu", k);
        ret = sf_h5_attr_double(g, name, values[k]);
    }
    if (g >= 0)
        H5Gclose(g);
    return ret != 0 ? sf_h5o_finish(o, ret, err) : 0;
}

int sf_h5_batch_end(sf_h5_out *o, sf_error *err)
{
    if (err != NULL)
        err->code = 0;
    return sf_h5o_finish(o, 0, err);
}
