"""Instructions per part of shortfall, from a callgrind output file.

    python3 bench/profile_parts.py CALLGRIND.OUT [--top N]

Prints `part instructions` lines (and, with --top, the N largest
(part, file, function) rows).  Used by bench/profile, which takes the
difference of two runs.

How a cost is given a part:
- Every instruction of bin/shortfall is attributed by the source file and
  line it comes from (the debug line table, so code inlined into another
  function keeps its own file and line).  sim/engine.c is split by
  function (line ranges of its definitions): ENGINE_PARTS below.  Other
  files: FILE_PARTS.  A line from a file not listed (a header's inline
  function) takes the part of the function it was inlined into.
- Instructions of HDF5 and its compression libraries are writing, those
  of the dynamic loader and libgomp other (OBJ_PARTS).  Those of other
  objects (libm, libgsl, libc) and of the pass-through files PASS (the random-number streams, the
  distributions and the policies' recycled share, called from several
  parts) go to their callers in
  proportion to the inclusive cost of each call, up to the first caller in
  bin/shortfall's own code; that call site's file and line give the part.
"""
import collections
import os
import re
import sys

FILE_PARTS = {
    "models/market.c": "market",
    "models/clearing.c": "market",
    "models/clearing_ws.c": "market",
    "models/costs.c": "costs",
    "models/shocks.c": "shocks",
    "sim/stats.c": "trial store + statistics + writing",
    "sim/results.c": "trial store + statistics + writing",
    "sim/h5out.c": "trial store + statistics + writing",
    "sim/h5out_rows.c": "trial store + statistics + writing",
    "sim/h5prices.c": "trial store + statistics + writing",
    "sim/h5drivers.c": "trial store + statistics + writing",
    "sim/h5util.c": "trial store + statistics + writing",
}
ENGINE_PARTS = {
    "apply_shocks": "shocks",
    "sample_noise": "demand noise",
    "record_flows": "recording",
    "record_month": "recording",
    "record_trade": "recording",
    "record_path": "recording",
    "record_prices": "recording",
    "hist_bin": "recording",
    "sf_price_bin": "recording",
    "sf_price_bin_centre": "recording",
    "units_reset": "recording",
    "prices_reset": "recording",
    "store_trial": "trial store + statistics + writing",
    "store_drivers": "trial store + statistics + writing",
    "run_trial": "engine month loop",
}
# Libraries whose every instruction is one part: only the results file
# uses HDF5 and its filters (the scenario is YAML); the dynamic loader and
# OpenMP's runtime are "other".  Other libraries (libm, libc, GSL) go to
# their callers.
OBJ_PARTS = (("libhdf5", "trial store + statistics + writing"),
             ("libz.", "trial store + statistics + writing"),
             ("libsz.", "trial store + statistics + writing"),
             ("libaec.", "trial store + statistics + writing"),
             ("ld-linux", "other"), ("libgomp", "other"))
PASS = ("sim/rng.c", "models/distributions.c", "models/policies.c")
ORDER = ["market", "costs", "recording", "demand noise", "shocks",
         "trial store + statistics + writing", "engine month loop", "other"]


def engine_ranges(root, file="sim/engine.c"):
    """(start line, function name) of every definition in a C file."""
    out = []
    path = os.path.join(root, file)
    if not path.endswith(".c") or not os.path.exists(path):
        return out
    with open(path) as f:
        for i, line in enumerate(f, 1):
            m = re.match(r"^(?:static\s+)?(?:inline\s+)?[A-Za-z_][\w \*]*?"
                         r"\b(\w+)\s*\(", line)
            if m and not line.rstrip().endswith(";") and not line.startswith(
                    ("typedef", "#", "return")):
                out.append((i, m.group(1)))
    return out


def rel(path, root):
    path = os.path.normpath(path)
    if path.startswith(root + "/"):
        return path[len(root) + 1:]
    return path


class Profile:
    def __init__(self, path, root, binary):
        self.root, self.binary = root, binary
        self.eng = engine_ranges(root)
        self.ranges = {}
        # self[(fn, file, line)] and calls (caller fn, file, line, callee, incl)
        self.self_cost = collections.Counter()
        self.calls = []
        self.fn_file, self.fn_ob = {}, {}
        self.parse(path)

    def parse(self, path):
        names = {"fl": {}, "fn": {}, "ob": {}}
        alias = {"fi": "fl", "fe": "fl", "cfi": "fl", "cfl": "fl",
                 "cfn": "fn", "cob": "ob"}
        ob = fl = fn = cur = None
        cfn = cob = cfl = None
        pending = None
        last = 0
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line[0] == "#":
                    continue
                m = re.match(r"^(ob|fl|fi|fe|fn|cob|cfi|cfl|cfn)=\((\d+)\)(?: (.*))?$", line)
                if m:
                    key, idx, name = m.group(1), m.group(2), m.group(3)
                    table = names[alias.get(key, key)]
                    if name is not None:
                        table[idx] = name
                    name = table[idx]
                    if key == "ob":
                        ob = name
                    elif key == "fl":
                        fl = cur = name
                    elif key in ("fi", "fe"):
                        cur = name
                    elif key == "fn":
                        fn = (ob, fl, name)
                        cur = fl
                        self.fn_file.setdefault(fn, fl)
                        cob = cfl = None
                    elif key == "cob":
                        cob = name
                    elif key in ("cfi", "cfl"):
                        cfl = name
                    elif key == "cfn":
                        cfn = name
                    continue
                if line.startswith("calls="):
                    pending = True
                    continue
                if line[0].isdigit() or line[0] in "+-*":
                    parts = line.split()
                    p = parts[0]
                    if p == "*":
                        ln = last
                    elif p[0] in "+-":
                        ln = last + int(p)
                    else:
                        ln = int(p)
                    last = ln
                    cost = int(parts[1]) if len(parts) > 1 else 0
                    if pending:
                        callee = (cob or ob, cfl or fl, cfn)
                        self.calls.append((fn, cur, ln, callee, cost))
                        pending = None
                        cob = cfl = None
                    else:
                        self.self_cost[(fn, cur, ln)] += cost
                    continue
                # summary:, totals:, events: and the like

    def ours(self, fn):
        return (fn[0] is not None and os.path.realpath(fn[0]) == self.binary
                and rel(fn[1], self.root) not in PASS)

    def source_fn(self, file, line):
        """the function of the source file whose definition holds line"""
        f = rel(file, self.root)
        if f not in self.ranges:
            self.ranges[f] = engine_ranges(self.root, f)
        name = None
        for start, n in self.ranges[f]:
            if start <= line:
                name = n
            else:
                break
        return name

    def engine_fn(self, line):
        name = None
        for start, n in self.eng:
            if start <= line:
                name = n
            else:
                break
        return name

    def part_of(self, fn, file, line):
        f = rel(file, self.root)
        if f == "sim/engine.c":
            return ENGINE_PARTS.get(self.engine_fn(line), "other")
        if f in FILE_PARTS:
            return FILE_PARTS[f]
        home = rel(self.fn_file.get(fn, "???"), self.root)
        if home != f and home != "???":
            if home == "sim/engine.c":
                # a header's inline code: the part of the enclosing function
                name = fn[2].split(".")[0].split("._omp")[0]
                return ENGINE_PARTS.get(name, "other")
            return FILE_PARTS.get(home, "other")
        return "other"

    def attribute(self):
        into = collections.defaultdict(list)  # callee -> [(caller, file, line, incl)]
        for caller, file, line, callee, incl in self.calls:
            into[callee].append((caller, file, line, incl))
        memo, busy = {}, set()

        def shares(fn):
            """fraction of fn's own cost per (part, label); a call that
            closes a cycle of library functions is left out"""
            if fn in memo:
                return memo[fn]
            for lib, part in OBJ_PARTS:
                if lib in os.path.basename(fn[0] or ""):
                    memo[fn] = {(part, os.path.basename(fn[0])): 1.0}
                    return memo[fn]
            busy.add(fn)
            out = collections.Counter()
            edges = [e for e in into.get(fn, [])
                     if e[0] != fn and (self.ours(e[0]) or e[0] not in busy)]
            total = sum(e[3] for e in edges)
            if total == 0:
                out[("other", "(no caller)")] = 1.0
            else:
                for caller, file, line, incl in edges:
                    w = incl / total
                    if self.ours(caller):
                        out[(self.part_of(caller, file, line),
                             rel(file, self.root) + " calls")] += w
                    else:
                        for k, v in shares(caller).items():
                            out[k] += w * v
            busy.discard(fn)
            memo[fn] = out
            return out

        parts = collections.Counter()
        rows = collections.Counter()
        for (fn, file, line), cost in self.self_cost.items():
            if self.ours(fn):
                p = self.part_of(fn, file, line)
                parts[p] += cost
                # the row names the source function the line is in (the
                # code inlined into fn keeps its own), else fn
                rows[(p, rel(file, self.root),
                      self.source_fn(file, line) or fn[2])] += cost
            else:
                for (p, label), w in shares(fn).items():
                    parts[p] += cost * w
                    rows[(p, label, fn[2])] += cost * w
        return parts, rows


def main():
    args = sys.argv[1:]
    top = 0
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1])
        del args[i:i + 2]
    root = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    binary = os.path.realpath(os.path.join(root, "bin/shortfall"))
    prof = Profile(args[0], root, binary)
    parts, rows = prof.attribute()
    for p in ORDER + sorted(set(parts) - set(ORDER)):
        print(f"part\t{p}\t{parts.get(p, 0):.0f}")
    for (p, f, fn), c in rows.most_common(top):
        print(f"row\t{p}\t{f}\t{fn}\t{c:.0f}")


if __name__ == "__main__":
    main()
