/*
 * fuzz_results_edits.c — libFuzzer target for the results-file readers,
 * as fuzz_results.c, but each input is a short list of edits to one of a
 * few valid results files (the seeds), not a whole file.
 *
 * Whole-file inputs are 250–700 KB: libFuzzer copies each into a fresh
 * buffer, which ASan maps and the machine page-faults in, and writing it
 * out copies it again, so HDF5's parsing was only 5 % of an execution
 * (perf).  Here the input is a few bytes: the seed is copied into a buffer
 * kept from one execution to the next, the edits applied, and the file
 * rewritten over the same pages.  What is lost is libFuzzer's crossover
 * of whole files; fuzz_results.c keeps that.
 *
 * Input: byte 0 picks the seed (its low 7 bits, modulo the seeds) and,
 * with its high bit, whether the metadata checksums are resealed after
 * the edits (h5repair.h).  Then edits of 6 bytes each: a 32-bit offset
 * (modulo the file's size), a value v and an operation:
 *   0  the byte becomes v          1  the byte is XORed with v
 *   2  8 bytes become v each (an address or length field: 0x00, 0xff...)
 *   3  the byte is increased by v  4  the file is cut at the offset
 *   5  v bytes (up to 64) are copied there from offset + v * 256
 * The seeds are the *.h5 files of $SF_FUZZ_SEEDS (default
 * build/fuzz/edit-seeds, written by `make fuzz`: the 3-month seed files
 * only, since a 48-month file's histograms made each execution ten times
 * longer), in name order.  With $SF_FUZZ_EDITED set, each edited file is
 * also written there (fuzz/triage.sh).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5repair.h"
#include "readers.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 16

static struct {
    uint8_t *data;
    size_t size;
} seeds[MAX_SEEDS];
static size_t n_seeds, largest;
static uint8_t *work;
static int fd = -1;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_seed(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        if (f)
            fclose(f);
        return;
    }
    long n = ftell(f);
    rewind(f);
    uint8_t *d = n > 0 ? malloc((size_t)n) : NULL;
    if (d != NULL && fread(d, 1, (size_t)n, f) == (size_t)n) {
        seeds[n_seeds].data = d;
        seeds[n_seeds].size = (size_t)n;
        n_seeds++;
        if ((size_t)n > largest)
            largest = (size_t)n;
    } else {
        free(d);
    }
    fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("SF_FUZZ_SEEDS");
    if (dir == NULL)
        dir = "build/fuzz/edit-seeds";
    char *names[MAX_SEEDS];
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && n < MAX_SEEDS && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 3 && strcmp(e->d_name + len - 3, ".h5") == 0)
            names[n++] = strdup(e->d_name);
    }
    if (d != NULL)
        closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        load_seed(dir, names[i]);
        free(names[i]);
    }
    if (n_seeds == 0) {
        fprintf(stderr, "fuzz_results_edits: no *.h5 seed files in %s "
                        "(set SF_FUZZ_SEEDS)\n", dir);
        exit(1);
    }
    work = malloc(largest);
    const char *path = fuzz_results_setup();
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (work == NULL || fd < 0) {
        fprintf(stderr, "fuzz_results_edits: cannot set up %s\n", path);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    size_t s = (data[0] & 0x7f) % n_seeds, size = seeds[s].size;
    memcpy(work, seeds[s].data, size);
    for (size_t i = 1; i + 6 <= n && size > 0; i += 6) {
        size_t at = (size_t)h5r_le(data + i, 4) % size;
        uint8_t v = data[i + 4];
        switch (data[i + 5] % 6) {
        case 0:
            work[at] = v;
            break;
        case 1:
            work[at] ^= v;
            break;
        case 2:
            memset(work + at, v, size - at < 8 ? size - at : 8);
            break;
        case 3:
            work[at] = (uint8_t)(work[at] + v);
            break;
        case 4:
            size = at;
            break;
        case 5: {
            size_t len = v % 65, from = (at + (size_t)v * 256) % size;
            if (len <= size - at && len <= size - from)
                memmove(work + at, work + from, len);
            break;
        }
        }
    }
    if (data[0] & 0x80) {
        size_t good = 0;
        h5_reseal(work, size, 0, &good);
    }
    /* The same file, rewritten over its own pages. */
    if (pwrite(fd, work, size, 0) != (ssize_t)size ||
        ftruncate(fd, (off_t)size) != 0)
        return 0;
    /* fuzz/triage.sh asks for the edited file, to give to the release
     * build. */
    const char *keep = getenv("SF_FUZZ_EDITED");
    FILE *k = keep != NULL ? fopen(keep, "wb") : NULL;
    if (k != NULL) {
        fwrite(work, 1, size, k);
        fclose(k);
    }
    fuzz_results_read(fuzz_results_setup());
    return 0;
}
