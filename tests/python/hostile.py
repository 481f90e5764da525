#!/usr/bin/python3
"""hostile.py — makes the hostile inputs of tests/cli/hostile.sh.

  hostile.py scenario KIND OUT [N]   write a generated scenario file
  hostile.py flip SRC DST OFFSET     copy SRC to DST with the byte at
                                     OFFSET (modulo the size) inverted
  hostile.py setattr FILE NAME VALUE [NAME VALUE...]
                                     overwrite root attributes of a results
                                     file in place (same type and size; a
                                     string is cut or padded with spaces;
                                     @PATH reads the string from a file)
  hostile.py breakheader FILE OBJECT
                                     in place, overwrite the signature of
                                     OBJECT's object header: its link still
                                     lists, the object cannot be read
  hostile.py retype FILE DATASET SIZE
                                     in place, set the size in the datatype
                                     message of DATASET's object header to
                                     SIZE bytes and recompute the header's
                                     checksum, so that HDF5 accepts it: a
                                     float of SIZE bytes over chunks laid
                                     out for 8-byte values
  hostile.py rechunk FILE DATASET DIM SIZE
                                     in place, set dimension DIM of
                                     DATASET's chunks to SIZE in its layout
                                     message, and recompute the header's
                                     checksum: chunks larger than the
                                     dataset can ever be
  hostile.py redim FILE DATASET DIM SIZE
                                     in place, set dimension DIM of
                                     DATASET's dataspace to SIZE (past its
                                     maximum) and recompute the header's
                                     checksum
  hostile.py nofilters FILE DATASET
                                     in place, hide DATASET's filter
                                     pipeline (its chunks stay deflated)
                                     and recompute the header's checksum
  hostile.py linkheap FILE ADDRESS
                                     in place, point the root group's link
                                     info at a fractal heap at ADDRESS,
                                     where there is none, and recompute the
                                     root header's checksum: HDF5 1.10.8
                                     (h5dump, h5ls too) dies of SIGSEGV
  hostile.py chunkmask FILE DATASET MASK
                                     in place, set the filter mask of
                                     DATASET's first chunk in the chunk
                                     index (a version-1 B-tree, which has
                                     no checksum) to MASK: 255 marks a
                                     deflated chunk as stored raw
  hostile.py attrprecision FILE NAME BITS
                                     in place, set the precision of the
                                     integer attribute NAME (found by its
                                     name in the file) to BITS, and
                                     recompute the checksum of the object
                                     header or heap block holding it
  hostile.py attrretype FILE NAME VALUE
                                     replace root attribute NAME with a
                                     64-bit signed integer VALUE, as h5py
                                     writes a Python int
  hostile.py sane FILE.h5            print 'sane' if every float dataset is
                                     finite and shortfall <= need, else what
                                     is wrong

Scenario kinds (N scales the size):
  nodes N        N mine nodes and 10 demand nodes of one commodity, one per
                 line, as compact as the format allows
  links N        N/2 mines x N/2 demand nodes: N^2/4 implied links
  reach N        1000 mines x 1000 demand nodes (10^6 links) and N export
                 restrictions on all of them
  blocs N        a bloc of N countries named by 1000 shocks
  commodities N  N commodities, one mine and one demand node
  chain N        N commodities refined one into the next
  policies N     N policy mixes
  states N       a regime with N states
  units N        N demand nodes (monthly result cells)
  flow N         a list nested N deep, [[[...]]]
  flowmap N      a mapping nested N deep, {a: {a: ...}}
  block N        block mappings nested N deep by indentation
  wide-alias N   a list of N items aliased N times
  self-alias     an anchor used inside itself
"""
import sys

HEAD = ("name: hostile\nhorizon_months: 12\n"
        "commodities:\n  - {id: o, unit: t}\n")


def mine(i, c="CN", out="o"):
    return f"  - {{id: m{i}, kind: mine, country: {c}, output: {out}, capacity: 1}}\n"


def demand(i, c="US", inp="o"):
    return f"  - {{id: d{i}, kind: demand, country: {c}, input: {inp}, demand: 1}}\n"


def scenario(kind, n):
    w = []
    if kind == "nodes":
        w.append(HEAD + "nodes:\n")
        w += [mine(i) for i in range(n)]
        w += [demand(i) for i in range(10)]
    elif kind == "links":
        w.append(HEAD + "nodes:\n")
        w += [mine(i) for i in range(n // 2)]
        w += [demand(i) for i in range(n // 2)]
    elif kind == "reach":
        w.append(HEAD + "nodes:\n")
        w += [mine(i) for i in range(1000)]
        w += [demand(i) for i in range(1000)]
        w.append("shocks:\n")
        w += [f"  - {{id: s{i}, kind: export_restriction, exporter: CN, "
              "commodities: all, targets: all, hazard_per_year: 1, "
              "duration_months: 1}\n" for i in range(n)]
    elif kind == "blocs":
        w.append("name: hostile\nhorizon_months: 12\nblocs:\n  b: [")
        w.append(", ".join(f"K{i}" for i in range(n)) + "]\n")
        w.append("commodities:\n  - {id: o, unit: t}\nnodes:\n")
        w += [mine(0), demand(0)]
        w.append("shocks:\n")
        w += [f"  - {{id: s{i}, kind: export_restriction, exporter: b, "
              "commodities: all, targets: b, except: b, hazard_per_year: 1, "
              "duration_months: 1}\n" for i in range(1000)]
    elif kind == "commodities":
        w.append("name: hostile\nhorizon_months: 12\ncommodities:\n")
        w += [f"  - {{id: c{i}, unit: t}}\n" for i in range(n)]
        w.append("nodes:\n" + mine(0, out="c0") + demand(0, inp="c0"))
    elif kind == "chain":
        w.append("name: hostile\nhorizon_months: 12\ncommodities:\n")
        w += [f"  - {{id: c{i}, unit: t}}\n" for i in range(n)]
        w.append("nodes:\n" + mine(0, out="c0"))
        w += [f"  - {{id: r{i}, kind: refiner, country: CN, input: c{i}, "
              f"output: c{i + 1}, capacity: 1}}\n" for i in range(n - 1)]
        w.append(demand(0, inp=f"c{n - 1}"))
    elif kind == "policies":
        w.append(HEAD + "nodes:\n" + mine(0) + demand(0) + "policies:\n")
        w += [f"  - {{name: p{i}}}\n" for i in range(n)]
    elif kind == "states":
        w.append(HEAD + "nodes:\n" + mine(0) + demand(0))
        w.append("regimes:\n  states: [" +
                 ", ".join(f"s{i}" for i in range(n)) + "]\n  start: s0\n"
                 "  transitions: {}\n")
    elif kind == "units":
        w.append(HEAD + "nodes:\n" + mine(0))
        w += [demand(i) for i in range(n)]
    elif kind == "flow":
        w.append(HEAD + "nodes:\n" + mine(0) + demand(0))
        w.append("description: " + "[" * n + "]" * n + "\n")
    elif kind == "flowmap":
        w.append(HEAD + "nodes:\n" + mine(0) + demand(0))
        w.append("description: " + "{a: " * n + "1" + "}" * n + "\n")
    elif kind == "block":
        w.append(HEAD + "nodes:\n" + mine(0) + demand(0) + "description:\n")
        w += [" " * (i + 1) + "a:\n" for i in range(n)]
    elif kind == "wide-alias":
        w.append(HEAD + "nodes:\n" + mine(0) + demand(0))
        w.append("description: &x [" + ", ".join(["v"] * n) + "]\n")
        w.append("name2: [" + ", ".join(["*x"] * n) + "]\n")
    elif kind == "self-alias":
        w.append(HEAD + "nodes:\n" + mine(0) + demand(0))
        w.append("description: &a [1, *a]\n")
    else:
        sys.exit(f"hostile.py: unknown scenario kind {kind}")
    return "".join(w)


def flip(src, dst, off):
    b = bytearray(open(src, "rb").read())
    b[off % len(b)] ^= 0xFF
    open(dst, "wb").write(b)


def setattr_(path, pairs):
    import h5py
    import numpy as np
    with h5py.File(path, "r+") as f:
        for name, val in pairs:
            a = h5py.h5a.open(f.id, name.encode())
            dt = a.dtype
            if dt.kind == "S":
                if val.startswith("@"):
                    val = open(val[1:]).read()
                b = val.encode()[:dt.itemsize].ljust(dt.itemsize, b" ")
                a.write(np.array(b, dtype=dt))
            elif dt.kind in "iu" and dt.itemsize == 8:
                a.write(np.array([int(val) % 2**64], dtype=np.uint64)
                        .view(dt).reshape(()))
            elif dt.kind in "iu":
                a.write(np.array(int(val), dtype=dt))
            else:
                a.write(np.array(float(val), dtype=dt))
            a.close()


def lookup3(data):
    """Bob Jenkins' lookup3 hashlittle, initial value 0: the checksum of
    HDF5's version-2 metadata."""
    m = 0xFFFFFFFF

    def rot(x, k):
        return ((x << k) | (x >> (32 - k))) & m

    n = len(data)
    a = b = c = (0xDEADBEEF + n) & m
    i = 0
    while n > 12:
        a = (a + int.from_bytes(data[i:i + 4], "little")) & m
        b = (b + int.from_bytes(data[i + 4:i + 8], "little")) & m
        c = (c + int.from_bytes(data[i + 8:i + 12], "little")) & m
        a = (a - c) & m; a ^= rot(c, 4); c = (c + b) & m
        b = (b - a) & m; b ^= rot(a, 6); a = (a + c) & m
        c = (c - b) & m; c ^= rot(b, 8); b = (b + a) & m
        a = (a - c) & m; a ^= rot(c, 16); c = (c + b) & m
        b = (b - a) & m; b ^= rot(a, 19); a = (a + c) & m
        c = (c - b) & m; c ^= rot(b, 4); b = (b + a) & m
        n -= 12
        i += 12
    if n == 0:
        return c
    tail = data[i:i + n] + bytes(12 - n)
    a = (a + int.from_bytes(tail[0:4], "little")) & m
    b = (b + int.from_bytes(tail[4:8], "little")) & m
    c = (c + int.from_bytes(tail[8:12], "little")) & m
    c ^= b; c = (c - rot(b, 14)) & m
    a ^= c; a = (a - rot(c, 11)) & m
    b ^= a; b = (b - rot(a, 25)) & m
    c ^= b; c = (c - rot(b, 16)) & m
    a ^= c; a = (a - rot(c, 4)) & m
    b ^= a; b = (b - rot(a, 14)) & m
    c ^= b; c = (c - rot(b, 24)) & m
    return c


def patch_message(path, dataset, mtype, patch):
    """Calls patch(buf, body, head) on the first message of type mtype in the
    first chunk of dataset's version-2 object header (HDF5 file format,
    III.C), then recomputes the header's checksum so that HDF5 accepts
    it, and writes the file back in place."""
    import h5py
    with h5py.File(path, "r") as f:
        addr = h5py.h5o.get_info(f[dataset].id).addr
    with open(path, "r+b") as fh:
        buf = bytearray(fh.read())
    h = addr
    if buf[h:h + 4] != b"OHDR" or buf[h + 4] != 2:
        sys.exit(f"hostile.py: {dataset}: not a version-2 object header")
    flags = buf[h + 5]
    p = h + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
    w = 1 << (flags & 3)
    chunk0 = int.from_bytes(buf[p:p + w], "little")
    p += w
    end = p + chunk0
    hdr = 6 if flags & 0x04 else 4
    # The first chunk (from "OHDR"), then the continuation chunks its
    # continuation messages (type 16: address, length) point to (from
    # "OCHK"); each ends in its own checksum.  HDF5 moves a message to a
    # continuation chunk when the first fills up.
    chunks, conts = [(h, p, end)], []
    while chunks:
        start, p, end = chunks.pop(0)
        while p + hdr <= end:
            msize = int.from_bytes(buf[p + 1:p + 3], "little")
            if buf[p] == mtype:
                patch(buf, p + hdr, p)
                buf[end:end + 4] = lookup3(bytes(buf[start:end])).to_bytes(4, "little")
                with open(path, "r+b") as fh:
                    fh.write(buf)
                return
            if buf[p] == 16:
                a = int.from_bytes(buf[p + hdr:p + hdr + 8], "little")
                n = int.from_bytes(buf[p + hdr + 8:p + hdr + 16], "little")
                if buf[a:a + 4] == b"OCHK":
                    conts.append((a, a + 4, a + n - 4))
            p += hdr + msize
        if not chunks:
            chunks, conts = conts, []
    sys.exit(f"hostile.py: {dataset}: no message of type {mtype} in its "
             "object header")


def breakheader(path, obj):
    """Overwrites the signature of obj's object header, so that HDF5
    cannot read the object while the link to it still lists."""
    import h5py
    with h5py.File(path, "r") as f:
        addr = h5py.h5o.get_info(f[obj].id).addr
    with open(path, "r+b") as fh:
        fh.seek(addr)
        if fh.read(4) != b"OHDR":
            sys.exit(f"hostile.py: {obj}: not a version-2 object header")
        fh.seek(addr)
        fh.write(b"XXXX")


def retype(path, dataset, size):
    """The datatype message (type 3): class and version, 3 bytes of bit
    fields, then the size in 4 bytes."""
    def patch(buf, body, head):
        buf[body + 4:body + 8] = size.to_bytes(4, "little")
    patch_message(path, dataset, 3, patch)


def rechunk(path, dataset, dim, size):
    """The data layout message (type 8), version 3, chunked: version,
    class, dimensionality, the chunk index's address (8 bytes), then each
    chunk dimension in 4 bytes."""
    def patch(buf, body, head):
        if buf[body] != 3 or buf[body + 1] != 2:
            sys.exit(f"hostile.py: {dataset}: not a version-3 chunked layout")
        at = body + 11 + 4 * dim
        buf[at:at + 4] = size.to_bytes(4, "little")
    patch_message(path, dataset, 8, patch)


def redim(path, dataset, dim, size):
    """The dataspace message (type 1): version, dimensionality, flags, then
    5 reserved bytes (version 1) or the dataspace type (version 2), then
    each dimension in 8 bytes."""
    def patch(buf, body, head):
        at = body + (8 if buf[body] == 1 else 4) + 8 * dim
        buf[at:at + 8] = size.to_bytes(8, "little")
    patch_message(path, dataset, 1, patch)


def nofilters(path, dataset):
    """The filter pipeline message (type 11) becomes a message of type 97,
    which HDF5 does not know and, its flags being clear, skips."""
    def patch(buf, body, head):
        buf[head] = 97
    patch_message(path, dataset, 11, patch)


def linkheap(path, address):
    """The link info message (type 2): version, flags, the maximum
    creation index (8 bytes) if flag 1 is set, then the fractal heap's
    address (8 bytes; undefined while the links are stored compact)."""
    def patch(buf, body, head):
        at = body + 2 + (8 if buf[body + 1] & 1 else 0)
        buf[at:at + 8] = address.to_bytes(8, "little")
    patch_message(path, "/", 2, patch)


def attrprecision(path, name, bits):
    """An attribute message (III.C, type 12) holds its name, datatype and
    dataspace; version 1 pads each to 8 bytes.  For an integer (class 0)
    the datatype is class and version, 3 bytes of bit fields, the size in
    4 bytes, then the bit offset and the precision in 2 bytes each.  Root
    attributes beyond a few are dense, in a fractal heap's direct block
    ("FHDB", checksummed over the whole block with its checksum field
    zero); the others are in an object header ("OHDR", chunk 0).  Every
    attribute of that name is changed."""
    buf = bytearray(open(path, "rb").read())
    key = name.encode() + b"\0"
    # Every attribute of that name: the root's, and the copies of the run's
    # attributes on the policy groups.
    # Header: version, flags, name size, datatype size, dataspace size
    # (2 bytes each), and in version 3 the name's character set.
    found, i = [], buf.find(key)
    while i >= 0:
        for h, versions in ((i - 8, (1, 2)), (i - 9, (3,))):
            if (h >= 0 and buf[h] in versions and
                    int.from_bytes(buf[h + 2:h + 4], "little") == len(key)):
                found.append(h)
        i = buf.find(key, i + 1)
    if not found:
        sys.exit(f"hostile.py: no attribute message named {name}")
    for at in found:
        _attr_bits(buf, at, key, name, bits)
    open(path, "r+b").write(buf)


def _attr_bits(buf, at, key, name, bits):
    v, tsize = buf[at], int.from_bytes(buf[at + 4:at + 6], "little")
    if v == 1:
        dt = at + 8 + (len(key) + 7) // 8 * 8
    else:
        dt = at + (8 if v == 2 else 9) + len(key)
    if buf[dt] & 0x0F != 0 or tsize < 12:
        sys.exit(f"hostile.py: attribute {name} is not an integer")
    buf[dt + 10:dt + 12] = bits.to_bytes(2, "little")
    # The block holding it: the nearest signature before it.
    blk = max(buf.rfind(b"FHDB", 0, at), buf.rfind(b"OHDR", 0, at))
    if buf[blk:blk + 4] == b"FHDB":
        le = lambda o, n: int.from_bytes(buf[o:o + n], "little")
        hh = le(blk + 5, 8)
        width, start, maxbits = le(hh + 110, 2), le(hh + 112, 8), le(hh + 128, 2)
        osize = (maxbits + 7) // 8
        off, size = le(blk + 13, osize), start
        q = off // (width * start)
        while q > 1:
            size, q = size * 2, q >> 1
        cs = blk + 13 + osize
        buf[cs:cs + 4] = bytes(4)
        buf[cs:cs + 4] = lookup3(bytes(buf[blk:blk + size])).to_bytes(4, "little")
    else:
        flags = buf[blk + 5]
        p = blk + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
        w = 1 << (flags & 3)
        end = p + w + int.from_bytes(buf[p:p + w], "little")
        buf[end:end + 4] = lookup3(bytes(buf[blk:end])).to_bytes(4, "little")


def attrretype(path, name, value):
    import h5py
    import numpy as np
    with h5py.File(path, "r+") as f:
        del f.attrs[name]
        f.attrs[name] = np.int64(value)


def chunkmask(path, dataset, mask):
    """A version-1 B-tree node of raw-data chunks (HDF5 file format,
    III.A.1) holds, before each child's address, a key of the chunk's
    stored size (4 bytes), its filter mask (4) and its offset (8 bytes for
    each dimension and one more)."""
    import h5py
    with h5py.File(path, "r") as f:
        d = f[dataset]
        info = d.id.get_chunk_info(0)
        rank = len(d.shape)
    with open(path, "r+b") as fh:
        buf = bytearray(fh.read())
    addr = info.byte_offset.to_bytes(8, "little")
    key = 8 + 8 * (rank + 1)
    at = buf.find(addr)
    while at >= 0:
        k = at - key
        if k >= 0 and int.from_bytes(buf[k:k + 4], "little") == info.size:
            buf[k + 4:k + 8] = mask.to_bytes(4, "little")
            with open(path, "r+b") as fh:
                fh.write(buf)
            return
        at = buf.find(addr, at + 1)
    sys.exit(f"hostile.py: {dataset}: its first chunk is not in the index")


def sane(path):
    import h5py
    import numpy as np
    probs = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind == "f":
                a = obj[()]
                if name.split("/")[-1].startswith(("price_peak_region",
                                                   "price_month_mean_region",
                                                   "price_path_region")):
                    # NaN by design (docs/output.md) for a region that buys
                    # none of the commodity: then in every trial and
                    # statistic of that (commodity, region), never a part.
                    nan = np.isnan(a).reshape(-1, *a.shape[-2:])
                    if np.any(np.isinf(a)) or not np.all(nan.all(0) | ~nan.any(0)) \
                            or nan.all():
                        probs.append(f"{name}: non-finite beyond whole "
                                     "(commodity, region) columns")
                elif name.split("/")[-1] in ("cost_per_avoided", "cost_per_avoided_se") \
                        and int(obj.parent.attrs.get("is_baseline", 0)):
                    # The baseline against itself: NaN by design.
                    if not np.isnan(a):
                        probs.append(f"{name}: the baseline's is not NaN")
                elif not np.all(np.isfinite(a)):
                    probs.append(f"{name}: {np.sum(~np.isfinite(a))} non-finite")
        f.visititems(visit)
        sc = f.attrs["scenario_name"]
        sc = sc.decode() if isinstance(sc, bytes) else sc
        for p in f[sc]:
            g = f[sc][p]
            for suf in ["", "_region", "_world"]:
                s, n = g["shortfall_cum" + suf][()], g["need_cum" + suf][()]
                if np.any(s < 0) or np.any(s > n * (1 + 1e-9) + 1e-9):
                    probs.append(f"{p}: shortfall{suf} outside [0, need]")
    print("; ".join(probs[:4]) if probs else "sane")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "scenario":
        n = int(float(sys.argv[4])) if len(sys.argv) > 4 else 0
        with open(sys.argv[3], "w") as out:
            out.write(scenario(sys.argv[2], n))
    elif cmd == "flip":
        flip(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "setattr":
        args = sys.argv[3:]
        setattr_(sys.argv[2], list(zip(args[::2], args[1::2])))
    elif cmd == "breakheader":
        breakheader(sys.argv[2], sys.argv[3])
    elif cmd == "retype":
        retype(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "rechunk":
        rechunk(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "redim":
        redim(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5], 0))
    elif cmd == "nofilters":
        nofilters(sys.argv[2], sys.argv[3])
    elif cmd == "linkheap":
        linkheap(sys.argv[2], int(sys.argv[3], 0))
    elif cmd == "chunkmask":
        chunkmask(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "attrprecision":
        attrprecision(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "attrretype":
        attrretype(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "sane":
        sane(sys.argv[2])
    else:
        sys.exit(__doc__)
