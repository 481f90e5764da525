/*
 * h5util.h — small helpers over the HDF5 C API for netCDF-4-compatible
 * files: groups and files that track creation order, string and number
 * attributes, coordinate variables (dimension scales) and data variables
 * with their scales attached, chunked with shuffle + deflate.
 *
 * Functions returning int give 0 or SF_ERR_HDF5; those returning hid_t
 * give a negative id on failure.
 */
#ifndef SHORTFALL_H5UTIL_H
#define SHORTFALL_H5UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "shortfall.h"

/* Silences HDF5's own error printing: errors are reported by return
 * value, with shortfall's messages. */
void sf_h5_quiet(void);

SF_MUST_CHECK
hid_t sf_h5_create(const char *path);

/* The same with a file access property list (MPI-IO for parallel runs). */
SF_MUST_CHECK
hid_t sf_h5_create_fapl(const char *path, hid_t fapl);
/* Opens the group, creating it (tracking creation order) if it is new. */
SF_MUST_CHECK
hid_t sf_h5_group(hid_t parent, const char *name);

SF_MUST_CHECK
int sf_h5_attr_str(hid_t obj, const char *name, const char *value);
/* An attribute holding n strings as one array of fixed-length strings
 * (read back with no access to HDF5's global heap, which a damaged file
 * can make the library read out of bounds). */
SF_MUST_CHECK
int sf_h5_attr_str_list(hid_t obj, const char *name, size_t n,
                        const char *const *values);
SF_MUST_CHECK
int sf_h5_attr_int(hid_t obj, const char *name, int value);
SF_MUST_CHECK
int sf_h5_attr_u64(hid_t obj, const char *name, uint64_t value);
SF_MUST_CHECK
int sf_h5_attr_double(hid_t obj, const char *name, double value);

/* A 1-D coordinate variable named like its dimension, made a dimension
 * scale; returns the open dataset (to attach), which the caller closes. */
SF_MUST_CHECK
hid_t sf_h5_coord(hid_t grp, const char *name, hid_t type, size_t n,
                  const void *data, const char *units, const char *long_name);
/* The same for the int64 sequence first, first + 1, ..., first + n - 1,
 * written a chunk at a time (the trial coordinate: n may be 10^9). */
SF_MUST_CHECK
hid_t sf_h5_coord_sequence(hid_t grp, const char *name, int64_t first,
                           size_t n, const char *units, const char *long_name);
SF_MUST_CHECK
hid_t sf_h5_coord_str(hid_t grp, const char *name, size_t n,
                      const char *const *values, const char *long_name);

/* A variable of the given rank (0 = scalar) with scales[i] attached to
 * axis i, units and long_name attributes. */
SF_MUST_CHECK
int sf_h5_write_var(hid_t grp, const char *name, hid_t type, int rank,
                    const hsize_t *dims, const hid_t *scales,
                    const void *data, const char *units,
                    const char *long_name);

/* Per-trial variables written as the run goes (streaming): a [rows],
 * [rows, columns] or [rows, columns, columns2] variable of at most dims[0] rows, created with rows0 of
 * them (grown or cut with H5Dset_extent), chunked one column of
 * chunk_rows rows at a time, so that a column can be read back alone;
 * returned open. */
SF_MUST_CHECK
hid_t sf_h5_column_var(hid_t grp, const char *name, hid_t type, int rank,
                       const hsize_t *dims, hsize_t rows0, size_t chunk_rows);

/* One chunk to write: rows [row, row + rows) of column col of d, from
 * data (rows contiguous elements of d's type); row is a multiple of the
 * chunk rows, rows at most that. */
typedef struct {
    hid_t d;
    int rank;
    size_t elem_size;
    int shuffle;
    size_t chunk_rows;
    hsize_t row, col;
    size_t rows;
    const void *data;
    hsize_t col2; /* rank 3: the column's index on the third axis */
} sf_h5_chunk;

/* Room for compressed chunks, reused from call to call. */
typedef struct {
    unsigned char *out;
    size_t cap;
    size_t *len;
    size_t n_cap;
} sf_h5_chunk_buf;

/* Filters the chunks on all threads (as the datasets' pipelines would)
 * and writes them with H5Dwrite_chunk in order. */
SF_MUST_CHECK
int sf_h5_write_chunks(const sf_h5_chunk *chunks, size_t n,
                       sf_h5_chunk_buf *buf);
void sf_h5_chunk_buf_free(sf_h5_chunk_buf *buf);

/* Rows [first, first + n) of column col (ignored for rank 1; for rank 3,
 * the cell col / columns2, col % columns2) of d, as mem_type. */
SF_MUST_CHECK
int sf_h5_read_column(hid_t d, int rank, size_t col, uint64_t first,
                      uint64_t n, hid_t mem_type, void *out);

/* Attaches scales[i] to axis i of d and writes units and long_name. */
SF_MUST_CHECK
int sf_h5_describe_var(hid_t d, int rank, const hid_t *scales,
                       const char *units, const char *long_name);

/* Reading.  A missing or mistyped attribute or dataset is an error
 * (SF_ERR_FORMAT).  Attributes hold one value: a fixed-length string; an
 * integer of any plain integer type (1-8 bytes, every bit significant,
 * either byte order and sign) whose value fits the result; an IEEE
 * double. */
SF_MUST_CHECK
int sf_h5_read_attr_str(hid_t obj, const char *name, char **out);
SF_MUST_CHECK
int sf_h5_read_attr_u64(hid_t obj, const char *name, uint64_t *out);
SF_MUST_CHECK
int sf_h5_read_attr_int(hid_t obj, const char *name, int *out);
SF_MUST_CHECK
int sf_h5_read_attr_double(hid_t obj, const char *name, double *out);

/* Reads a whole dataset of exactly n elements, converting to type. */
SF_MUST_CHECK
int sf_h5_read_var(hid_t grp, const char *name, hid_t type, size_t n,
                   void *out);

/* Opens the datasets group/names[v] of f (d[v] = -1 where one does not
 * exist; every d[v] is set before the first failure's SF_ERR_HDF5), and
 * closes the ones open (setting them to -1). */
int sf_h5_reopen_named(hid_t f, const char *group, hid_t dapl, int n,
                       const char *const *names, hid_t *d);
void sf_h5_close_all(int n, hid_t *d);

#ifdef SF_MPI
/* One collective write of rows [row, row + rows) (none when rows is 0) of
 * a [n, cols] dataset d (cols 0: a [n] dataset) from data, of d's type; a
 * rank with no rows takes part with empty selections. */
int sf_h5_write_rows_collective(hid_t d, hid_t type, uint64_t row,
                                size_t rows, size_t cols, const void *data);
#endif

#endif
