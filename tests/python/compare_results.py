#!/usr/bin/python3
"""compare_results.py A.h5 B.h5 — exit 0 if every dataset of every group
is bitwise identical in both files (same names, shapes, types, values) and
the root attributes that describe the experiment agree (the market
solver's counts among them); prints what differs otherwise.  Timing and invocation attributes (created, wall
seconds, threads, command line, history) may differ.

Batch files: the root's batch attributes (kind, batch_name, batch_text,
design, design_samples, and a part's part, run_options,
scenario_sources) must agree too, and the attributes of the sweep_<k> and
design_* datasets, and so
must each variant group's run attributes (the same keys as a single run's
root, plus its swept values and a part's batch_trials).  Every other
group's attributes must agree, but for the timing and invocation ones
(policy groups carry the run's provenance too)."""
import sys

import h5py
import numpy as np

a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
diffs = []


def datasets(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj)
                 if isinstance(obj, h5py.Dataset) else None)
    return out


da, db = datasets(a), datasets(b)
if set(da) != set(db):
    diffs.append(f"datasets differ: {sorted(set(da) ^ set(db))[:10]}")
for name in sorted(set(da) & set(db)):
    x, y = da[name][()], db[name][()]
    if da[name].dtype != db[name].dtype or np.shape(x) != np.shape(y):
        diffs.append(f"{name}: type or shape")
    elif np.asarray(x).dtype.kind == "f":
        # Bit for bit, NaN included (scalars too: cost_per_avoided).
        if np.asarray(x).tobytes() != np.asarray(y).tobytes():
            diffs.append(f"{name}: values")
    elif not np.array_equal(x, y):
        diffs.append(f"{name}: values")
    if name.startswith(("sweep_", "design_")):
        # A batch's sweeps and design: their attributes (units, name,
        # path, range) too, but for HDF5's dimension-scale references.
        ka = {k for k in da[name].attrs if k not in ("DIMENSION_LIST", "REFERENCE_LIST")}
        kb = {k for k in db[name].attrs if k not in ("DIMENSION_LIST", "REFERENCE_LIST")}
        for k in sorted(ka | kb):
            if k not in ka or k not in kb or not np.array_equal(da[name].attrs[k], db[name].attrs[k]):
                diffs.append(f"{name} attribute {k}")
RUN_KEYS = ("software", "version", "format_version", "seed", "trials",
            "trials_done", "complete", "first_trial", "horizon_months",
            "scenario_name", "scenario_text", "paths", "has_trials",
            "solver_solves", "solver_iterations", "solver_max_iterations",
            "solver_max_residual")
BATCH_KEYS = ("kind", "batch_name", "batch_text", "part", "run_options",
              "scenario_sources", "Conventions", "title", "design",
              "design_samples")
# What may differ between two runs of one experiment: when, where and how
# they were run.
NOT_COMPARED = {"git_commit", "created", "command_line", "history",
                "threads", "ranks", "wall_seconds", "target_rse",
                "target_unit", "scenario_file"}


def same(x, y):
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.array_equal(x, y)
    return x == y


for key in RUN_KEYS + BATCH_KEYS:
    if not same(a.attrs.get(key), b.attrs.get(key)):
        diffs.append(f"root attribute {key}: {a.attrs.get(key)!r} vs {b.attrs.get(key)!r}")


def groups(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj)
                 if isinstance(obj, h5py.Group) else None)
    return out


ga, gb = groups(a), groups(b)
if set(ga) != set(gb):
    diffs.append(f"groups differ: {sorted(set(ga) ^ set(gb))[:10]}")
for name in sorted(set(ga) & set(gb)):
    x, y = ga[name].attrs, gb[name].attrs
    if "policy" in x or "policy" in y:
        # A policy group: the run's provenance too, but for when, where
        # and how it was run.
        keys = sorted((set(x) | set(y)) - NOT_COMPARED)
    elif "scenario_text" in x or "scenario_text" in y:
        # A batch variant: a run's provenance, compared like a root's.
        keys = RUN_KEYS + ("batch_trials", "Conventions", "title") + tuple(
            sorted(k for k in set(x) | set(y) if k.startswith("sweep_")))
    else:
        keys = sorted(set(x) | set(y))
    for key in keys:
        if not same(x.get(key), y.get(key)):
            diffs.append(f"/{name} attribute {key}: {x.get(key)!r} vs {y.get(key)!r}")
for d in diffs[:20]:
    print(d)
print(f"{len(da)} datasets compared, {len(diffs)} differences")
sys.exit(1 if diffs else 0)
