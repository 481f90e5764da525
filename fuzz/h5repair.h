/*
 * h5repair.h — re-seal the checksums of a mutated HDF5 file's object
 * headers, for the results-file fuzzer (fuzz_results.c).
 *
 * shortfall writes version-2 object headers (it tracks creation order),
 * and HDF5 checks each header's Jenkins lookup3 checksum before parsing
 * it.  A byte mutation inside a header is therefore almost always refused
 * by the checksum, and the reader behind it — the datatypes, dataspaces,
 * layouts and attribute values shortfall then checks — is never reached.
 * h5_reseal() recomputes the checksum of every version-2 object header
 * ("OHDR") in the buffer, of every continuation chunk ("OCHK") one points
 * to, and of the fractal heaps that hold dense attributes and links (the
 * root's attributes among them), so that a mutated header or attribute is
 * parsed as if a program had written it that way.  Offsets and lengths are read as 8 bytes, as in
 * every file shortfall writes; anything that does not parse is left as it
 * is.  The file format is HDF5's published specification (version 2
 * object headers, section III.C; the lookup3 hash of Bob Jenkins).
 */
#ifndef SF_FUZZ_H5REPAIR_H
#define SF_FUZZ_H5REPAIR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define H5R_ROT(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

/* This runs on every mutant, over the whole file: built without the
 * fuzzer's coverage hooks and the sanitizers, and without memcmp (which
 * they intercept), it takes a fraction of an execution, not most of it. */
#if defined(__clang__)
#define H5R_PLAIN __attribute__((no_sanitize("address", "undefined", "coverage")))
#else
#define H5R_PLAIN
#endif

H5R_PLAIN static int h5r_sig(const uint8_t *p, const char *sig)
{
    return p[0] == (uint8_t)sig[0] && p[1] == (uint8_t)sig[1] &&
           p[2] == (uint8_t)sig[2] && p[3] == (uint8_t)sig[3];
}

/* lookup3 "hashlittle" over bytes, initial value 0, as HDF5 uses it. */
H5R_PLAIN static uint32_t h5_lookup3(const uint8_t *k, size_t n)
{
    uint32_t a, b, c;
    a = b = c = 0xdeadbeefu + (uint32_t)n;
    while (n > 12) {
        a += k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 |
             (uint32_t)k[3] << 24;
        b += k[4] | (uint32_t)k[5] << 8 | (uint32_t)k[6] << 16 |
             (uint32_t)k[7] << 24;
        c += k[8] | (uint32_t)k[9] << 8 | (uint32_t)k[10] << 16 |
             (uint32_t)k[11] << 24;
        a -= c; a ^= H5R_ROT(c, 4);  c += b;
        b -= a; b ^= H5R_ROT(a, 6);  a += c;
        c -= b; c ^= H5R_ROT(b, 8);  b += a;
        a -= c; a ^= H5R_ROT(c, 16); c += b;
        b -= a; b ^= H5R_ROT(a, 19); a += c;
        c -= b; c ^= H5R_ROT(b, 4);  b += a;
        n -= 12;
        k += 12;
    }
    switch (n) {
    case 12: c += (uint32_t)k[11] << 24; /* fall through */
    case 11: c += (uint32_t)k[10] << 16; /* fall through */
    case 10: c += (uint32_t)k[9] << 8;   /* fall through */
    case 9:  c += k[8];                  /* fall through */
    case 8:  b += (uint32_t)k[7] << 24;  /* fall through */
    case 7:  b += (uint32_t)k[6] << 16;  /* fall through */
    case 6:  b += (uint32_t)k[5] << 8;   /* fall through */
    case 5:  b += k[4];                  /* fall through */
    case 4:  a += (uint32_t)k[3] << 24;  /* fall through */
    case 3:  a += (uint32_t)k[2] << 16;  /* fall through */
    case 2:  a += (uint32_t)k[1] << 8;   /* fall through */
    case 1:  a += k[0]; break;
    case 0:  return c;
    }
    c ^= b; c -= H5R_ROT(b, 14);
    a ^= c; a -= H5R_ROT(c, 11);
    b ^= a; b -= H5R_ROT(a, 25);
    c ^= b; c -= H5R_ROT(b, 16);
    a ^= c; a -= H5R_ROT(c, 4);
    b ^= a; b -= H5R_ROT(a, 14);
    c ^= b; c -= H5R_ROT(b, 24);
    return c;
}

H5R_PLAIN static uint64_t h5r_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Seals the block [at, at + len): its last 4 bytes become the checksum of
 * the rest.  Returns 1 if it was sealed, 0 if it would not fit. */
H5R_PLAIN static int h5r_seal(uint8_t *d, size_t size, uint64_t at, uint64_t len,
                    int check_only, size_t *good)
{
    if (len < 8 || at > size || len > size - at)
        return 0;
    uint32_t sum = h5_lookup3(d + at, (size_t)len - 4);
    uint8_t *s = d + at + len - 4;
    if (check_only) {
        *good += h5r_le(s, 4) == sum;
        return 1;
    }
    for (int i = 0; i < 4; i++)
        s[i] = (uint8_t)(sum >> (8 * i));
    return 1;
}

/* Walks the messages in [p, end) of a header whose flags are hflags and
 * seals each continuation chunk they point to (to depth 8). */
H5R_PLAIN static size_t h5r_chunks(uint8_t *d, size_t size, size_t p, size_t end,
                         int hflags, int depth, int check_only, size_t *good)
{
    size_t n = 0, hdr = (hflags & 0x04) ? 6 : 4;
    while (depth < 8 && p + hdr <= end) {
        int type = d[p];
        size_t msize = (size_t)h5r_le(d + p + 1, 2);
        size_t body = p + hdr;
        if (msize > end - body)
            break;
        if (type == 0x10 && msize >= 16) {
            uint64_t at = h5r_le(d + body, 8), len = h5r_le(d + body + 8, 8);
            if (at <= size && len <= size - at && len >= 8 &&
                h5r_sig(d + at, "OCHK") &&
                h5r_seal(d, size, at, len, check_only, good)) {
                n++;
                n += h5r_chunks(d, size, (size_t)at + 4,
                                (size_t)(at + len - 4), hflags, depth + 1,
                                check_only, good);
            }
        }
        p = body + msize;
    }
    return n;
}

/* A fractal heap (dense links and attributes, such as the root's): its
 * header ("FRHP", 142 bytes without I/O filters) and its direct blocks
 * ("FHDB"), whose checksum covers the whole block with the checksum field
 * read as zero.  A direct block's size follows from its offset in the
 * heap's doubling table: the first two rows of `width` blocks have the
 * starting size, and each later row twice the size of the one before. */
H5R_PLAIN static size_t h5r_heap_block(uint8_t *d, size_t size, size_t i,
                             int check_only, size_t *good)
{
    uint64_t hh = h5r_le(d + i + 5, 8);
    if (d[i + 4] != 0 || hh > size || size - hh < 146 ||
        !h5r_sig(d + hh, "FRHP") || h5r_le(d + hh + 7, 2) != 0 ||
        !(d[hh + 9] & 0x02))
        return 0;
    uint64_t width = h5r_le(d + hh + 110, 2), start = h5r_le(d + hh + 112, 8);
    int bits = (int)h5r_le(d + hh + 128, 2);
    if (width == 0 || start == 0 || bits < 1 || bits > 64 ||
        start > size / width)
        return 0;
    size_t osize = (size_t)(bits + 7) / 8, at = i + 13 + osize;
    if (at + 4 > size)
        return 0;
    uint64_t off = h5r_le(d + i + 13, (int)osize), len = start;
    for (uint64_t q = off / (width * start); q > 1 && len <= size; q >>= 1)
        len <<= 1;
    if (len > size - i || len < 13 + osize + 4)
        return 0;
    uint8_t stored[4];
    memcpy(stored, d + at, 4);
    memset(d + at, 0, 4);
    uint32_t sum = h5_lookup3(d + i, (size_t)len);
    memcpy(d + at, stored, 4);
    if (check_only)
        *good += h5r_le(stored, 4) == sum;
    else
        for (int k = 0; k < 4; k++)
            d[at + k] = (uint8_t)(sum >> (8 * k));
    return 1;
}

/* Nonzero if one of the 8 bytes at p is an 'O' or an 'F', the first
 * letters of the signatures h5_reseal looks for ("haszero" on the bytes
 * XORed with each letter: exact, no false positives). */
H5R_PLAIN static int h5r_has_o_or_f(const uint8_t *p)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t w, o, f;
    memcpy(&w, p, 8);
    o = w ^ (ones * 'O');
    f = w ^ (ones * 'F');
    return ((((o - ones) & ~o) | ((f - ones) & ~f)) & highs) != 0;
}

/* Reseals every version-2 object header and its continuation chunks, and
 * every fractal heap header and direct block.  With check_only, counts in
 * *good the blocks whose stored checksum is already right, and changes
 * nothing.  Returns the blocks seen.  Positions are visited in order, and
 * an 8-byte word without an 'O' or an 'F' is skipped whole, as the
 * byte-by-byte test would pass over each of its positions: the word is
 * read when the scan reaches it, after any seal before it was written. */
H5R_PLAIN static size_t h5_reseal(uint8_t *d, size_t size, int check_only, size_t *good)
{
    size_t n = 0;
    for (size_t i = 0; i + 8 <= size; i++) {
        if ((i & 7) == 0 && !h5r_has_o_or_f(d + i)) {
            i += 7;
            continue;
        }
        if (i + 17 <= size && h5r_sig(d + i, "FHDB")) {
            n += h5r_heap_block(d, size, i, check_only, good);
            continue;
        }
        if (i + 146 <= size && h5r_sig(d + i, "FRHP") &&
            d[i + 4] == 0 && h5r_le(d + i + 7, 2) == 0) {
            n += h5r_seal(d, size, i, 146, check_only, good);
            continue;
        }
        if (d[i] != 'O' || !h5r_sig(d + i, "OHDR") || d[i + 4] != 2)
            continue;
        int flags = d[i + 5];
        size_t p = i + 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
        int w = 1 << (flags & 0x03);
        if (p + (size_t)w > size)
            continue;
        uint64_t chunk0 = h5r_le(d + p, w);
        p += (size_t)w;
        if (chunk0 > size - p || size - p - chunk0 < 4)
            continue;
        if (!h5r_seal(d, size, i, p + chunk0 + 4 - i, check_only, good))
            continue;
        n++;
        n += h5r_chunks(d, size, p, (size_t)(p + chunk0), flags, 0, check_only,
                        good);
    }
    return n;
}

#endif
