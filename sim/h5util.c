/*
 * h5util.c — HDF5 helpers for netCDF-4-compatible files (see h5util.h).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5_hl.h>
#include <omp.h>
#include <zlib.h>
#ifdef SF_MPI
#include <mpi.h>
#endif

#include "h5util.h"
#include "shortfall.h"

/* Chunks of at most this many elements (512 KiB of doubles). */
#define CHUNK_ELEMENTS 65536
/* Deflate level 1: on shortfall's per-trial arrays it is 1.4x as fast as
 * level 4 for files 3 % larger (bench/README.md).  Shuffle is used for
 * integer data only: on the floating-point arrays it made the files no
 * smaller and compression 20 % slower. */
#define DEFLATE_LEVEL 1
/* Datasets of at least this many bytes are compressed chunk by chunk on
 * all threads and written with H5Dwrite_chunk. */
#define PARALLEL_BYTES (1u << 20)
/* Arrays of at most this many bytes are contiguous, not chunked: a
 * chunked array carries a chunk index of about 2 KiB however small it is,
 * and on the summary statistics, most of them a few dozen bytes, that
 * index was most of the file.  (Not compact, stored in the object header:
 * HDF5 1.10 reads a damaged compact dataset past the end of its buffer,
 * found by fuzz/fuzz_results.c.) */
#define SMALL_BYTES 1024u

void sf_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static hid_t order_tracking_gcpl(void)
{
    hid_t p = H5Pcreate(H5P_GROUP_CREATE);
    if (p < 0)
        return p;
    if (H5Pset_link_creation_order(p, H5P_CRT_ORDER_TRACKED |
                                          H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED |
                                          H5P_CRT_ORDER_INDEXED) < 0) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

hid_t sf_h5_create(const char *path)
{
    return sf_h5_create_fapl(path, H5P_DEFAULT);
}

hid_t sf_h5_create_fapl(const char *path, hid_t fapl)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), f = -1;
    if (fcpl < 0)
        return -1;
    if (H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED |
                                             H5P_CRT_ORDER_INDEXED) >= 0 &&
        H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED |
                                             H5P_CRT_ORDER_INDEXED) >= 0)
        f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fcpl);
    return f;
}

hid_t sf_h5_group(hid_t parent, const char *name)
{
    if (H5Lexists(parent, name, H5P_DEFAULT) > 0)
        return H5Gopen2(parent, name, H5P_DEFAULT);
    hid_t gcpl = order_tracking_gcpl(), g = -1;
    if (gcpl < 0)
        return -1;
    g = H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    return g;
}

static int attr_write(hid_t obj, const char *name, hid_t type,
                      const void *value)
{
    hid_t sp = H5Screate(H5S_SCALAR), a = -1;
    int ret = SF_ERR_HDF5;
    if (sp < 0)
        return ret;
    a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0 && H5Awrite(a, type, value) >= 0)
        ret = 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return ret;
}

/* Fixed-length ASCII, as netCDF writes text attributes. */
int sf_h5_attr_str(hid_t obj, const char *name, const char *value)
{
    size_t len = strlen(value);
    hid_t t = H5Tcopy(H5T_C_S1);
    int ret = SF_ERR_HDF5;
    if (t < 0)
        return ret;
    if (H5Tset_size(t, len > 0 ? len : 1) >= 0 &&
        H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0)
        ret = attr_write(obj, name, t, len > 0 ? value : "");
    H5Tclose(t);
    return ret;
}

int sf_h5_attr_str_list(hid_t obj, const char *name, size_t n,
                        const char *const *values)
{
    size_t width = 1;
    for (size_t i = 0; i < n; i++)
        if (strlen(values[i]) > width)
            width = strlen(values[i]);
    char *buf = calloc(n ? n : 1, width);
    hsize_t dims[1] = {n};
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate_simple(1, dims, NULL), a = -1;
    int ret = SF_ERR_HDF5;

    if (buf == NULL)
        ret = SF_ERR_NOMEM;
    else if (t >= 0 && sp >= 0 && H5Tset_size(t, width) >= 0 &&
             H5Tset_strpad(t, H5T_STR_NULLPAD) >= 0 &&
             (a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) >=
                 0) {
        for (size_t i = 0; i < n; i++)
            memcpy(buf + i * width, values[i], strlen(values[i]));
        if (H5Awrite(a, t, buf) >= 0)
            ret = 0;
    }
    if (a >= 0)
        H5Aclose(a);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    free(buf);
    return ret;
}

int sf_h5_attr_int(hid_t obj, const char *name, int value)
{
    return attr_write(obj, name, H5T_NATIVE_INT, &value);
}

int sf_h5_attr_u64(hid_t obj, const char *name, uint64_t value)
{
    return attr_write(obj, name, H5T_NATIVE_UINT64, &value);
}

int sf_h5_attr_double(hid_t obj, const char *name, double value)
{
    return attr_write(obj, name, H5T_NATIVE_DOUBLE, &value);
}

/* Dataset creation properties: creation order tracked; contiguous if
 * scalar, empty, small (SMALL_BYTES) or of variable-length strings;
 * otherwise chunked with shuffle and deflate. */
static hid_t dcpl_for(int rank, const hsize_t *dims, hid_t type,
                      hsize_t *chunk_out)
{
    size_t elem_size = H5Tget_size(type);
    bool shuffle = elem_size > 1 && H5Tget_class(type) == H5T_INTEGER;
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t chunk[8];
    bool empty = false;

    if (p < 0)
        return p;
    if (H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED |
                                          H5P_CRT_ORDER_INDEXED) < 0)
        goto fail;
    for (int i = 0; i < rank; i++)
        empty = empty || dims[i] == 0;
    if (rank == 0 || empty)
        return p;
    hsize_t total = 1;
    for (int i = 0; i < rank; i++) {
        chunk[i] = dims[i];
        total *= dims[i];
    }
    /* Variable-length strings hold only references to the global heap:
     * deflating those gains nothing, so they are contiguous. */
    if (H5Tdetect_class(type, H5T_VLEN) > 0 || H5Tis_variable_str(type) > 0)
        return p;
    if (total * elem_size <= SMALL_BYTES)
        return p;
    /* Halve the leading axes until a chunk is small enough. */
    for (int i = 0; i < rank && total > CHUNK_ELEMENTS; i++)
        while (chunk[i] > 1 && total > CHUNK_ELEMENTS) {
            hsize_t half = (chunk[i] + 1) / 2;
            total = total / chunk[i] * half;
            chunk[i] = half;
        }
    if (chunk_out != NULL)
        memcpy(chunk_out, chunk, (size_t)rank * sizeof *chunk);
    if (H5Pset_chunk(p, rank, chunk) < 0 || (shuffle && H5Pset_shuffle(p) < 0) ||
        (DEFLATE_LEVEL > 0 && H5Pset_deflate(p, DEFLATE_LEVEL) < 0))
        goto fail;
    return p;
fail:
    H5Pclose(p);
    return -1;
}

static int describe(hid_t d, const char *units, const char *long_name)
{
    if (units != NULL && sf_h5_attr_str(d, "units", units) != 0)
        return SF_ERR_HDF5;
    if (long_name != NULL && sf_h5_attr_str(d, "long_name", long_name) != 0)
        return SF_ERR_HDF5;
    return 0;
}

/* HDF5's shuffle filter: byte k of every element, for k = 0 .. size-1. */
static void shuffle_bytes(const unsigned char *in, unsigned char *out,
                          size_t n, size_t size)
{
    for (size_t k = 0; k < size; k++)
        for (size_t i = 0; i < n; i++)
            out[k * n + i] = in[i * size + k];
}

/* Writes a dataset whose chunks split only its first axis: every chunk is
 * a contiguous run of rows, padded to full size at the edge as HDF5 stores
 * it, filtered as the dataset's pipeline would (shuffle for integers, then
 * deflate) on all threads, and written with H5Dwrite_chunk in order. */
static int write_chunks_parallel(hid_t d, hid_t type, int rank,
                                 const hsize_t *dims, const hsize_t *chunk,
                                 const void *data)
{
    size_t elem = H5Tget_size(type), row = elem;
    bool shuffle = elem > 1 && H5Tget_class(type) == H5T_INTEGER;
    for (int i = 1; i < rank; i++)
        row *= dims[i];
    size_t rows_per = chunk[0], n_chunks = (dims[0] + rows_per - 1) / rows_per;
    size_t chunk_bytes = rows_per * row;
    uLongf bound = compressBound((uLong)chunk_bytes);
    unsigned char **out = calloc(n_chunks, sizeof *out);
    uLongf *out_len = calloc(n_chunks, sizeof *out_len);
    int failed = 0, ret = SF_ERR_HDF5;

    if (out == NULL || out_len == NULL)
        goto done;
#pragma omp parallel
    {
        /* Each chunk is compressed into `z`, then kept in a block of its
         * compressed size: a block of compressBound's size per chunk
         * meant a fresh, page-faulting heap as large as the dataset for
         * every dataset (the fan-chart histograms of a 600-month run are
         * 370 MB, mostly zeros, that compress 20-fold). */
        unsigned char *pad = malloc(chunk_bytes), *shuf = malloc(chunk_bytes);
        unsigned char *z = malloc(bound);
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < n_chunks; c++) {
            size_t first = c * rows_per;
            size_t rows = dims[0] - first < rows_per ? dims[0] - first : rows_per;
            const unsigned char *src = (const unsigned char *)data + first * row;
            if (pad == NULL || shuf == NULL || z == NULL) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            memcpy(pad, src, rows * row);
            memset(pad + rows * row, 0, chunk_bytes - rows * row);
            const unsigned char *in = pad;
            if (shuffle) {
                shuffle_bytes(pad, shuf, chunk_bytes / elem, elem);
                in = shuf;
            }
            out_len[c] = bound;
            if (compress2(z, &out_len[c], in, (uLong)chunk_bytes,
                          DEFLATE_LEVEL) != Z_OK ||
                (out[c] = malloc(out_len[c])) == NULL) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            memcpy(out[c], z, out_len[c]);
        }
        free(pad);
        free(shuf);
        free(z);
    }
    if (failed)
        goto done;
    for (size_t c = 0; c < n_chunks; c++) {
        hsize_t offset[8] = {0};
        offset[0] = c * rows_per;
        if (H5Dwrite_chunk(d, H5P_DEFAULT, 0, offset, out_len[c], out[c]) < 0)
            goto done;
    }
    ret = 0;
done:
    if (out != NULL)
        for (size_t c = 0; c < n_chunks; c++)
            free(out[c]);
    free(out);
    free(out_len);
    return ret;
}

/* Creates and writes a dataset; returns it open. */
static hid_t create_write(hid_t grp, const char *name, hid_t mem_type,
                          hid_t file_type, int rank, const hsize_t *dims,
                          const void *data)
{
    hid_t sp = rank == 0 ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(rank, dims, NULL);
    hsize_t chunk[8] = {0};
    hid_t dcpl = dcpl_for(rank, dims, file_type, chunk), d = -1;
    bool empty = false, rows_only = rank >= 1 && DEFLATE_LEVEL > 0;
    size_t bytes = H5Tget_size(file_type);

    for (int i = 0; i < rank; i++) {
        empty = empty || dims[i] == 0;
        bytes *= dims[i];
        if (i > 0 && chunk[i] != dims[i])
            rows_only = false;
    }
    if (sp >= 0 && dcpl >= 0)
        d = H5Dcreate2(grp, name, file_type, sp, H5P_DEFAULT, dcpl,
                       H5P_DEFAULT);
    if (d >= 0 && !empty) {
        /* Variable-length data goes through H5Dwrite; so does what is
         * small, or chunked across more than the first axis. */
        bool parallel = rows_only && bytes >= PARALLEL_BYTES &&
                        H5Tis_variable_str(file_type) <= 0 &&
                        H5Tequal(mem_type, file_type) > 0;
        int bad = parallel ? write_chunks_parallel(d, file_type, rank, dims,
                                                   chunk, data) != 0
                           : H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL,
                                      H5P_DEFAULT, data) < 0;
        if (bad) {
            H5Dclose(d);
            d = -1;
        }
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return d;
}

hid_t sf_h5_coord(hid_t grp, const char *name, hid_t type, size_t n,
                  const void *data, const char *units, const char *long_name)
{
    hsize_t dims[1] = {n};
    hid_t d = create_write(grp, name, type, type, 1, dims, data);
    if (d < 0)
        return d;
    if (H5DSset_scale(d, name) < 0 || describe(d, units, long_name) != 0) {
        H5Dclose(d);
        return -1;
    }
    return d;
}

hid_t sf_h5_coord_sequence(hid_t grp, const char *name, int64_t first,
                           size_t n, const char *units, const char *long_name)
{
    hsize_t dims[1] = {n}, chunk[8] = {0};
    hid_t sp = H5Screate_simple(1, dims, NULL), ms = -1;
    hid_t dcpl = dcpl_for(1, dims, H5T_NATIVE_INT64, chunk), d = -1;
    /* A chunk's worth at a time (all of it when compact or empty). */
    size_t slab = chunk[0] > 0 ? (size_t)chunk[0] : (n ? n : 1);
    int64_t *buf = malloc(slab * sizeof *buf);
    bool ok = false;

    if (sp >= 0 && dcpl >= 0 && buf != NULL)
        d = H5Dcreate2(grp, name, H5T_NATIVE_INT64, sp, H5P_DEFAULT, dcpl,
                       H5P_DEFAULT);
    ok = d >= 0;
    for (size_t off = 0; ok && off < n; off += slab) {
        hsize_t start[1] = {off}, count[1] = {n - off < slab ? n - off : slab};
        for (size_t i = 0; i < count[0]; i++)
            buf[i] = first + (int64_t)(off + i);
        ms = H5Screate_simple(1, count, NULL);
        ok = ms >= 0 &&
             H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count,
                                 NULL) >= 0 &&
             H5Dwrite(d, H5T_NATIVE_INT64, ms, sp, H5P_DEFAULT, buf) >= 0;
        if (ms >= 0)
            H5Sclose(ms);
    }
    ok = ok && H5DSset_scale(d, name) >= 0 &&
         describe(d, units, long_name) == 0;
    if (!ok && d >= 0) {
        H5Dclose(d);
        d = -1;
    }
    free(buf);
    if (sp >= 0)
        H5Sclose(sp);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return d;
}

hid_t sf_h5_coord_str(hid_t grp, const char *name, size_t n,
                      const char *const *values, const char *long_name)
{
    hid_t t = H5Tcopy(H5T_C_S1), d = -1;
    hsize_t dims[1] = {n};
    if (t < 0)
        return -1;
    if (H5Tset_size(t, H5T_VARIABLE) >= 0 &&
        H5Tset_cset(t, H5T_CSET_UTF8) >= 0)
        d = create_write(grp, name, t, t, 1, dims, values);
    H5Tclose(t);
    if (d < 0)
        return d;
    if (H5DSset_scale(d, name) < 0 || describe(d, NULL, long_name) != 0) {
        H5Dclose(d);
        return -1;
    }
    return d;
}

int sf_h5_write_var(hid_t grp, const char *name, hid_t type, int rank,
                    const hsize_t *dims, const hid_t *scales,
                    const void *data, const char *units,
                    const char *long_name)
{
    int ret = SF_ERR_HDF5;
    hid_t d = create_write(grp, name, type, type, rank, dims, data);
    if (d < 0)
        return ret;
    for (int i = 0; i < rank; i++)
        if (H5DSattach_scale(d, scales[i], (unsigned)i) < 0)
            goto out;
    if (describe(d, units, long_name) != 0)
        goto out;
    ret = 0;
out:
    H5Dclose(d);
    return ret;
}

/* --- streamed per-trial variables --------------------------------------- */

hid_t sf_h5_column_var(hid_t grp, const char *name, hid_t type, int rank,
                       const hsize_t *dims, hsize_t rows0, size_t chunk_rows)
{
    hsize_t chunk[3] = {chunk_rows, 1, 1},
            cur[3] = {rows0, rank > 1 ? dims[1] : 0, rank > 2 ? dims[2] : 0};
    bool shuffle = H5Tget_size(type) > 1 && H5Tget_class(type) == H5T_INTEGER;
    hid_t sp = H5Screate_simple(rank, cur, dims);
    hid_t p = H5Pcreate(H5P_DATASET_CREATE), d = -1, dapl = -1;

    if (sp < 0 || p < 0)
        goto out;
    if (H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED |
                                          H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_chunk(p, rank, chunk) < 0 ||
        (shuffle && H5Pset_shuffle(p) < 0) ||
        (DEFLATE_LEVEL > 0 && H5Pset_deflate(p, DEFLATE_LEVEL) < 0) ||
        /* Chunks are written whole by H5Dwrite_chunk: no fill pass. */
        H5Pset_fill_time(p, H5D_FILL_TIME_NEVER) < 0 ||
        H5Pset_alloc_time(p, H5D_ALLOC_TIME_INCR) < 0)
        goto out;
    /* Chunks are written directly and each is read back once: a chunk
     * cache (1 MiB per open dataset by default, and a run holds hundreds
     * open) would only cost memory. */
    if ((dapl = H5Pcreate(H5P_DATASET_ACCESS)) < 0 ||
        H5Pset_chunk_cache(dapl, 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT) < 0)
        goto out;
    d = H5Dcreate2(grp, name, type, sp, H5P_DEFAULT, p, dapl);
out:
    if (sp >= 0)
        H5Sclose(sp);
    if (p >= 0)
        H5Pclose(p);
    if (dapl >= 0)
        H5Pclose(dapl);
    return d;
}

int sf_h5_write_chunks(const sf_h5_chunk *chunks, size_t n,
                       sf_h5_chunk_buf *buf)
{
    int failed = 0;
    size_t bound_max = 0, pad_max = 0;

    for (size_t c = 0; c < n; c++) {
        size_t bytes = chunks[c].chunk_rows * chunks[c].elem_size;
        /* zlib's conservative deflateBound (whatever the parameters). */
        size_t bound = bytes + (bytes >> 3) + (bytes >> 6) + 64;
        if (bound > bound_max)
            bound_max = bound;
        if (bytes > pad_max)
            pad_max = bytes;
    }
    /* One output area, kept between calls: a malloc and free per chunk
     * made glibc grow and trim its heap every wave. */
    if (n * bound_max > buf->cap || n > buf->n_cap) {
        free(buf->out);
        free(buf->len);
        buf->cap = n * bound_max;
        buf->n_cap = n;
        buf->out = malloc(buf->cap ? buf->cap : 1);
        buf->len = malloc((n ? n : 1) * sizeof *buf->len);
        if (buf->out == NULL || buf->len == NULL) {
            buf->cap = buf->n_cap = 0;
            return SF_ERR_NOMEM;
        }
    }
#pragma omp parallel
    {
        unsigned char *pad = malloc(pad_max ? pad_max : 1);
        unsigned char *shuf = malloc(pad_max ? pad_max : 1);
        /* One deflate stream per thread, reset for each chunk: compress2
         * would allocate and free ~270 KB of state per 8 KB chunk.  (The
         * default memLevel 8: with 4, hash collisions made deflate twice
         * as slow on these arrays.) */
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        bool z_ok = deflateInit2(&zs, DEFLATE_LEVEL, Z_DEFLATED, 15, 8,
                                 Z_DEFAULT_STRATEGY) == Z_OK;
#pragma omp for schedule(dynamic, 16)
        for (size_t c = 0; c < n; c++) {
            const sf_h5_chunk *k = &chunks[c];
            size_t bytes = k->chunk_rows * k->elem_size;
            if (pad == NULL || shuf == NULL || !z_ok) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            /* An edge chunk is stored full size; its tail is never read. */
            memcpy(pad, k->data, k->rows * k->elem_size);
            memset(pad + k->rows * k->elem_size, 0,
                   bytes - k->rows * k->elem_size);
            const unsigned char *in = pad;
            if (k->shuffle) {
                shuffle_bytes(pad, shuf, k->chunk_rows, k->elem_size);
                in = shuf;
            }
            zs.next_in = (Bytef *)in;
            zs.avail_in = (uInt)bytes;
            zs.next_out = buf->out + c * bound_max;
            zs.avail_out = (uInt)bound_max;
            if (deflateReset(&zs) != Z_OK ||
                deflate(&zs, Z_FINISH) != Z_STREAM_END) {
#pragma omp atomic write
                failed = 1;
            }
            buf->len[c] = zs.total_out;
        }
        if (z_ok)
            deflateEnd(&zs);
        free(pad);
        free(shuf);
    }
    if (failed)
        return SF_ERR_HDF5;
    for (size_t c = 0; c < n; c++) {
        hsize_t offset[3] = {chunks[c].row, chunks[c].col, chunks[c].col2};
        if (H5Dwrite_chunk(chunks[c].d, H5P_DEFAULT, 0, offset, buf->len[c],
                           buf->out + c * bound_max) < 0)
            return SF_ERR_HDF5;
    }
    return 0;
}

void sf_h5_chunk_buf_free(sf_h5_chunk_buf *buf)
{
    free(buf->out);
    free(buf->len);
    memset(buf, 0, sizeof *buf);
}

int sf_h5_read_column(hid_t d, int rank, size_t col, uint64_t first,
                      uint64_t n, hid_t mem_type, void *out)
{
    hsize_t start[3] = {first, col, 0}, count[3] = {n, 1, 1}, mdims[1] = {n};
    hsize_t dims[3] = {0, 0, 0};
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, mdims, NULL);
    int ret = SF_ERR_HDF5;

    /* Rank 3: col numbers the [axis 1, axis 2] cells row by row. */
    if (rank == 3 && fs >= 0 &&
        (H5Sget_simple_extent_ndims(fs) != 3 ||
         H5Sget_simple_extent_dims(fs, dims, NULL) != 3 || dims[2] == 0))
        goto out;
    if (rank == 3) {
        start[1] = col / dims[2];
        start[2] = col % dims[2];
    }
    if (fs >= 0 && ms >= 0 && (n == 0 || (
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
        H5Dread(d, mem_type, ms, fs, H5P_DEFAULT, out) >= 0)))
        ret = 0;
out:
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    return ret;
}

int sf_h5_describe_var(hid_t d, int rank, const hid_t *scales,
                       const char *units, const char *long_name)
{
    for (int i = 0; i < rank; i++)
        if (H5DSattach_scale(d, scales[i], (unsigned)i) < 0)
            return SF_ERR_HDF5;
    return describe(d, units, long_name);
}

/* --- reading ------------------------------------------------------------ */

/* Whether dataspace sp holds exactly n points, counted without overflow,
 * each dimension within its maximum.  HDF5 multiplies the dimensions
 * modulo 2^64: a damaged 8 x 6,917,529,027,641,081,857 dataspace "holds"
 * 8 points, and walking its chunks never ended (found by the results
 * fuzzer). */
static bool extent_is(hid_t sp, size_t n)
{
    hsize_t dims[H5S_MAX_RANK], maxdims[H5S_MAX_RANK], total = 1;
    H5S_class_t kind = H5Sget_simple_extent_type(sp);
    if (kind == H5S_NULL)
        return n == 0;
    if (kind == H5S_SCALAR)
        return n == 1;
    int rank = H5Sget_simple_extent_ndims(sp);
    if (kind != H5S_SIMPLE || rank < 0 || rank > H5S_MAX_RANK ||
        H5Sget_simple_extent_dims(sp, dims, maxdims) != rank)
        return false;
    for (int r = 0; r < rank; r++) {
        if (maxdims[r] != H5S_UNLIMITED && dims[r] > maxdims[r])
            return false;
        if (dims[r] != 0 && total > HSIZE_UNDEF / dims[r])
            return false;
        total *= dims[r];
    }
    return total == n;
}

/* Whether every stored chunk of chunked dataset d (creation properties
 * pl, file type ft, dataspace sp) can be read safely.  A chunk's filter
 * mask sits in the chunk index, a version-1 B-tree that has no checksum:
 * one flipped bit there marks a deflated chunk as stored raw, and HDF5
 * 1.10 then copies a whole chunk's bytes out of the few it read (a heap
 * over-read, found by the results fuzzer).  So the pipeline must hold
 * deflate and may hold shuffle, the filters shortfall writes, and a chunk
 * that deflate did not pack must be exactly one chunk's bytes; a deflated
 * one is checked by zlib as it is unpacked. */
static bool chunks_sound(hid_t d, hid_t pl, hid_t ft, hid_t sp)
{
    /* Rank 4 at most: the paths' trade record, [path_trial, month,
     * commodity, region], is the largest shortfall writes. */
    hsize_t dims[4], maxdims[4], chunk[4], at[4] = {0, 0, 0, 0};
    int rank = H5Sget_simple_extent_ndims(sp), nf = H5Pget_nfilters(pl);
    unsigned deflate = 0;
    if (rank < 1 || rank > 4 || nf < 0 || nf > 31 ||
        H5Sget_simple_extent_dims(sp, dims, maxdims) != rank ||
        H5Pget_chunk(pl, rank, chunk) != rank)
        return false;
    /* HDF5 creates no chunk larger than a fixed maximum extent, but reads
     * one: a chunk of 8 x 50,331,649 doubles over an 8 x 1 dataset made it
     * copy a 3 GB chunk out of the 64 bytes it had unpacked. */
    for (int r = 0; r < rank; r++) {
        hsize_t most = maxdims[r] == H5S_UNLIMITED ? dims[r] : maxdims[r];
        if (chunk[r] > (most > 0 ? most : 1))
            return false;
    }
    for (int i = 0; i < nf; i++) {
        unsigned flags;
        size_t ncd = 0;
        H5Z_filter_t id = H5Pget_filter2(pl, (unsigned)i, &flags, &ncd, NULL,
                                         0, NULL, NULL);
        if (id == H5Z_FILTER_DEFLATE)
            deflate |= 1u << i;
        else if (id != H5Z_FILTER_SHUFFLE)
            return false;
    }
    /* shortfall deflates every chunked variable.  Without a filter, HDF5
     * 1.10 reports a chunk's size from its dataspace but reads as many
     * bytes as the chunk index says: a pipeline emptied of deflate made it
     * copy 64 bytes out of the 19 it had read (found by the edit-list
     * fuzzer), and nothing in its API shows the index's size then. */
    if (deflate == 0)
        return false;
    hsize_t bytes = H5Tget_size(ft);
    for (int r = 0; r < rank; r++) {
        if (chunk[r] == 0 || bytes == 0 || chunk[r] > HSIZE_UNDEF / bytes)
            return false;
        bytes *= chunk[r];
    }
    if (bytes > UINT32_MAX) /* HDF5's own limit on a chunk */
        return false;
    /* Each chunk of the grid, by its first point, last dimension fastest;
     * the points are as many as the caller holds (extent_is), so the
     * chunks are at most that many too.  A chunk's filter mask comes with
     * its raw bytes (H5Dread_chunk, one index lookup): HDF5 1.10's
     * H5Dget_chunk_info_by_coord walks the whole index for each chunk,
     * which would make this quadratic in a dataset's chunks. */
    unsigned char *raw = NULL;
    hsize_t raw_size = 0;
    bool ok = true;
    for (bool more = true; more && ok;) {
        hsize_t size = 0;
        uint32_t mask = 0;
        if (H5Dget_chunk_storage_size(d, at, &size) < 0 ||
            size > compressBound((uLong)bytes)) {
            ok = false;
            break;
        }
        if (size > 0) {
            if (size > raw_size) {
                unsigned char *grown = realloc(raw, (size_t)size);
                if (grown == NULL) {
                    ok = false;
                    break;
                }
                raw = grown;
                raw_size = size;
            }
            ok = H5Dread_chunk(d, H5P_DEFAULT, at, &mask, raw) >= 0 &&
                 ((deflate & ~mask) != 0 || size == bytes);
        }
        more = false;
        for (int r = rank - 1; r >= 0 && !more; r--) {
            at[r] += chunk[r];
            if (at[r] < dims[r])
                more = true;
            else
                at[r] = 0;
        }
    }
    free(raw);
    return ok;
}

/* Whether dataset d's stored data holds all its npoints points of file
 * type ft.  HDF5 1.10 copies a compact dataset's points out of the bytes
 * its layout message holds without checking that there are enough: a
 * damaged file whose dataspace outgrew its compact data made H5Dread read
 * past a heap buffer (found by the results fuzzer).  shortfall writes no
 * compact dataset, but a file from elsewhere may hold one.  A contiguous
 * dataset is read through HDF5's file driver, which checks every address
 * against the file's end, but one shorter than its points would be read
 * on into whatever follows it; chunks are checked by chunks_sound. */
static bool storage_holds(hid_t d, hid_t ft, hid_t sp, hssize_t npoints)
{
    hid_t pl = H5Dget_create_plist(d);
    if (pl < 0)
        return false;
    H5D_layout_t layout = H5Pget_layout(pl);
    size_t size = H5Tget_size(ft);
    bool ok = false;
    if (layout == H5D_CHUNKED)
        ok = npoints == 0 || chunks_sound(d, pl, ft, sp);
    else if (layout == H5D_COMPACT || layout == H5D_CONTIGUOUS)
        ok = size > 0 && npoints >= 0 &&
             (hsize_t)npoints <= H5Dget_storage_size(d) / size;
    H5Pclose(pl);
    return ok;
}

/* Whether file type ft is the memory type `type` in either byte order,
 * as shortfall writes its variables on any machine.  Any other type is
 * refused before HDF5 converts with it: a damaged datatype message (a
 * float of 1,032 bytes, found by the results fuzzer) made HDF5 1.10 read
 * a chunk past the buffer it had sized by the dataset's layout. */
static bool same_type(hid_t ft, hid_t type)
{
    if (H5Tequal(ft, type) > 0)
        return true;
    hid_t swapped = H5Tcopy(type);
    H5T_order_t order = H5Tget_order(type);
    bool eq = swapped >= 0 &&
              H5Tset_order(swapped, order == H5T_ORDER_LE ? H5T_ORDER_BE
                                                           : H5T_ORDER_LE) >= 0 &&
              H5Tequal(ft, swapped) > 0;
    if (swapped >= 0)
        H5Tclose(swapped);
    return eq;
}

/* Whether ft is an integer type as programs write them: 1, 2, 4 or 8
 * bytes, all of their bits the value's.  HDF5 1.10 converts an integer of
 * any declared precision, and from a damaged datatype message (a 32-bit
 * integer of 62,496-bit precision, found by the results fuzzer) it read
 * far past the attribute's value. */
static bool plain_integer(hid_t ft)
{
    size_t size = H5Tget_size(ft);
    H5T_order_t order = H5Tget_order(ft);
    return H5Tget_class(ft) == H5T_INTEGER &&
           (size == 1 || size == 2 || size == 4 || size == 8) &&
           H5Tget_precision(ft) == 8 * size && H5Tget_offset(ft) == 0 &&
           (order == H5T_ORDER_LE || order == H5T_ORDER_BE);
}

/* Opens the attribute `name` of obj if it holds one value of a type that
 * `fits` accepts; its file type in *ft, to close.  Returns the attribute
 * or -1. */
static hid_t attr_open_scalar(hid_t obj, const char *name, hid_t *ft,
                              bool (*fits)(hid_t))
{
    *ft = -1;
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    hid_t sp = H5Aget_space(a);
    *ft = H5Aget_type(a);
    bool ok = sp >= 0 && *ft >= 0 && extent_is(sp, 1) && fits(*ft);
    if (sp >= 0)
        H5Sclose(sp);
    if (!ok) {
        if (*ft >= 0)
            H5Tclose(*ft);
        *ft = -1;
        H5Aclose(a);
        return -1;
    }
    return a;
}

/* Reads a scalar integer attribute, stored as any plain integer (shortfall
 * writes int and uint64_t, h5py int64), widened to 64 bits of its own
 * sign, which no value overflows: *neg tells which of *s and *u holds
 * it.  The callers check the range themselves, where HDF5 would clamp an
 * out-of-range value without a word. */
static int attr_read_integer(hid_t obj, const char *name, bool *neg,
                             int64_t *s, uint64_t *u)
{
    hid_t ft, a = attr_open_scalar(obj, name, &ft, plain_integer);
    if (a < 0)
        return SF_ERR_FORMAT;
    bool is_signed = H5Tget_sign(ft) == H5T_SGN_2;
    int ret = SF_ERR_FORMAT;
    if (is_signed ? H5Aread(a, H5T_NATIVE_INT64, s) >= 0
                  : H5Aread(a, H5T_NATIVE_UINT64, u) >= 0) {
        *neg = is_signed && *s < 0;
        if (is_signed && *s >= 0)
            *u = (uint64_t)*s;
        ret = 0;
    }
    H5Tclose(ft);
    H5Aclose(a);
    return ret;
}

int sf_h5_read_attr_u64(hid_t obj, const char *name, uint64_t *out)
{
    bool neg;
    int64_t s;
    uint64_t u;
    if (attr_read_integer(obj, name, &neg, &s, &u) != 0 || neg)
        return SF_ERR_FORMAT;
    *out = u;
    return 0;
}

int sf_h5_read_attr_int(hid_t obj, const char *name, int *out)
{
    bool neg;
    int64_t s;
    uint64_t u;
    if (attr_read_integer(obj, name, &neg, &s, &u) != 0 ||
        (neg ? s < INT_MIN : u > INT_MAX))
        return SF_ERR_FORMAT;
    *out = neg ? (int)s : (int)u;
    return 0;
}

static bool ieee_double(hid_t ft)
{
    return same_type(ft, H5T_NATIVE_DOUBLE);
}

int sf_h5_read_attr_double(hid_t obj, const char *name, double *out)
{
    hid_t ft, a = attr_open_scalar(obj, name, &ft, ieee_double);
    if (a < 0)
        return SF_ERR_FORMAT;
    int ret = H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0 ? 0 : SF_ERR_FORMAT;
    H5Tclose(ft);
    H5Aclose(a);
    return ret;
}

/* A fixed-length string, as shortfall writes them.  A variable-length
 * string (as h5py writes a Python str or bytes) lives in the global heap,
 * which HDF5 1.10.8 reads past on damage (fault 1 in docs/reliability.md):
 * no variable-length data is read from any input file. */
static bool fixed_string(hid_t ft)
{
    return H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) == 0;
}

int sf_h5_read_attr_str(hid_t obj, const char *name, char **out)
{
    *out = NULL;
    hid_t ft, a = attr_open_scalar(obj, name, &ft, fixed_string);
    if (a < 0)
        return SF_ERR_FORMAT;
    int ret = SF_ERR_FORMAT;
    size_t len = H5Tget_size(ft);
    hid_t mt = H5Tcopy(H5T_C_S1);
    char *buf = calloc(len + 1, 1);
    if (buf == NULL) {
        ret = SF_ERR_NOMEM;
    } else if (mt >= 0 && H5Tset_size(mt, len + 1) >= 0 &&
               H5Aread(a, mt, buf) >= 0) {
        *out = buf;
        buf = NULL;
        ret = 0;
    }
    free(buf);
    if (mt >= 0)
        H5Tclose(mt);
    H5Tclose(ft);
    H5Aclose(a);
    return ret;
}

int sf_h5_read_var(hid_t grp, const char *name, hid_t type, size_t n,
                   void *out)
{
    int ret = SF_ERR_FORMAT;
    if (H5Lexists(grp, name, H5P_DEFAULT) <= 0)
        return ret;
    hid_t d = H5Dopen2(grp, name, H5P_DEFAULT);
    if (d < 0)
        return ret;
    hid_t sp = H5Dget_space(d);
    hid_t ft = H5Dget_type(d);
    if (sp >= 0 && ft >= 0 && same_type(ft, type) &&
        extent_is(sp, n) &&
        storage_holds(d, ft, sp, (hssize_t)n) &&
        (n == 0 || H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0))
        ret = 0;
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(d);
    return ret;
}

#ifdef SF_MPI
/* One collective write of rows [row, row + rows) (none when rows is 0) of
 * a [n, cols] variable (cols 0: a [n] variable) from data. */
int sf_h5_write_rows_collective(hid_t d, hid_t type, uint64_t row,
                                size_t rows, size_t cols, const void *data)
{
    int rank = cols == 0 ? 1 : 2;
    hsize_t start[2] = {row, 0}, count[2] = {rows, cols ? cols : 1};
    hsize_t mdims[1] = {rows * (cols ? cols : 1)};
    hid_t fs = H5Dget_space(d), ms = -1, dx = H5Pcreate(H5P_DATASET_XFER);
    int ret = SF_ERR_HDF5;
    static const double none = 0.0;

    if (fs < 0 || dx < 0 || H5Pset_dxpl_mpio(dx, H5FD_MPIO_COLLECTIVE) < 0)
        goto out;
    if (rows == 0 || mdims[0] == 0) {
        /* Filtered datasets are written collectively: a rank with nothing
         * to write still takes part, with empty selections. */
        mdims[0] = 1;
        if ((ms = H5Screate_simple(1, mdims, NULL)) < 0 ||
            H5Sselect_none(ms) < 0 || H5Sselect_none(fs) < 0)
            goto out;
        data = &none;
    } else if ((ms = H5Screate_simple(1, mdims, NULL)) < 0 ||
               H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count,
                                   NULL) < 0) {
        goto out;
    }
    (void)rank;
    if (H5Dwrite(d, type, ms, fs, dx, data) >= 0)
        ret = 0;
out:
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    if (dx >= 0)
        H5Pclose(dx);
    return ret;
}
#endif

int sf_h5_reopen_named(hid_t f, const char *group, hid_t dapl, int n,
                       const char *const *names, hid_t *d)
{
    for (int v = 0; v < n; v++)
        d[v] = -1;
    for (int v = 0; v < n; v++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", group, names[v]);
        if (H5Lexists(f, path, H5P_DEFAULT) > 0 &&
            (d[v] = H5Dopen2(f, path, dapl)) < 0)
            return SF_ERR_HDF5;
    }
    return 0;
}

void sf_h5_close_all(int n, hid_t *d)
{
    for (int v = 0; v < n; v++) {
        if (d[v] >= 0)
            H5Dclose(d[v]);
        d[v] = -1;
    }
}
