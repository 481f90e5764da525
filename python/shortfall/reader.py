"""shortfall.open() and shortfall.trials(): a results file as one xarray
Dataset, and its per-trial rows as one pandas DataFrame (docs/output.md,
"Reading it with the shortfall package")."""
import contextlib
import os

import h5py
import numpy as np
import pandas as pd
import xarray as xr

from . import _sweeps
from ._h5 import FileFormatError, attrs_of, children, decode, read_group

FORMAT_VERSIONS = (2,)     # the results-file versions this reader reads


# --- the file's layout --------------------------------------------------

def _check(f, path):
    if decode(f.attrs.get("software")) != "shortfall":
        raise FileFormatError(f"{path}: not a shortfall results file (an HDF5 "
                              "file without the root attribute software = "
                              "'shortfall')")
    version = decode(f.attrs.get("format_version"))
    if version not in FORMAT_VERSIONS:
        raise FileFormatError(
            f"{path}: results file of format version {version}; this reader "
            f"reads version {', '.join(map(str, FORMAT_VERSIONS))} (run the "
            "scenario again with this shortfall)")


def _mixes(scen):
    """The policy groups of a scenario group: [(name, group)], the baseline
    first, then in the order they were written."""
    out = [(n, scen[n]) for n in children(scen) if isinstance(scen[n], h5py.Group)]
    out.sort(key=lambda m: 0 if decode(m[1].attrs.get("is_baseline")) == 1 else 1)
    return out


def _runs(f, path):
    """The runs of the file: [(variant or None, scenario group)]."""
    if decode(f.attrs.get("kind")) == "batch":
        order = []
        if "variant" in f:
            order = [str(v) for v in f["variant"].asstr()[()]]
        groups = [n for n in children(f) if isinstance(f[n], h5py.Group)]
        groups.sort(key=lambda n: order.index(n) if n in order else len(order))
        if not groups:
            raise FileFormatError(f"{path}: damaged batch file (no variant groups)")
        return [(n, f[n]) for n in groups]
    name = decode(f.attrs.get("scenario_name"))
    if name not in f or not isinstance(f[name], h5py.Group):
        raise FileFormatError(f"{path}: damaged results file (no group "
                              f"/{name} for its scenario_name)")
    return [(None, f[name])]


def _file(path):
    """Opens a results file for reading, or raises one clear error."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(2, "no such file", path)
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise FileFormatError(f"{path}: not a shortfall results file "
                              f"(not an HDF5 file: {e})") from None
    try:
        _check(f, path)
    except BaseException:
        f.close()
        raise
    return f


def _sweep_coords(f, runs):
    """The swept keys of a batch file: [(name, values, attrs)], one value
    per run, named and with units as docs/batches.md says.  A file that
    records them (sweep_<k> attributes path, name and units) is taken at
    its word; for older files, and for a variant of another scenario file
    than the first variant's (whose scenario the file's units were read
    in), they are computed from the batch and scenario texts (_sweeps)."""
    paths, recorded = [], []
    k = 0
    while f"sweep_{k}" in f:
        a = f[f"sweep_{k}"].attrs
        ln = decode(a.get("long_name")) or ""
        path = decode(a.get("path"))
        recorded.append(path is not None)
        paths.append(path if path is not None else
                     ln[len("swept value of "):] if ln.startswith("swept value of ")
                     else f"sweep_{k}")
        k += 1
    try:        # the batch text names the paths exactly
        import yaml
        batch = yaml.safe_load(decode(f.attrs.get("batch_text")) or "") or {}
        bp = [s.get("path") for s in batch.get("sweeps") or []]
        if not all(recorded) and len(bp) == len(paths) and all(isinstance(p, str) for p in bp):
            paths = bp
    except Exception:       # no PyYAML, or a text it cannot parse
        yaml = None
    names = _sweeps.names(paths)
    variants = [str(v) for v in f["variant"].asstr()[()]] if "variant" in f else []
    scen_of = ([str(s) for s in f["scenario"].asstr()[()]]
               if "scenario" in f and len(f["scenario"]) == len(variants) else [])
    out = []
    for k, (path, name) in enumerate(zip(paths, names)):
        root = f[f"sweep_{k}"]
        ra = root.attrs
        if recorded[k] and decode(ra.get("name")):
            name = decode(ra.get("name"))
        file_unit = decode(ra.get("units")) if recorded[k] else None
        vals, units = [], []
        for v, g in runs:
            a = g.attrs.get(f"sweep_{k}")
            if a is None and v in variants:
                a = root[variants.index(v)]
            vals.append(float(a) if a is not None else np.nan)
            same_scenario = (not scen_of or v not in variants
                             or scen_of[variants.index(v)] == scen_of[0])
            if file_unit is not None and (same_scenario or yaml is None):
                units.append(file_unit)
                continue
            u = ""
            if yaml is not None:
                try:
                    u = _sweeps.unit(yaml.safe_load(decode(g.attrs.get("scenario_text")) or ""), path)
                except Exception:
                    u = ""
            units.append(u)
        attrs = {"long_name": f"swept value of {path}", "path": path,
                 "sweep": f"sweep_{k}"}
        for key in ("range_lo", "range_hi", "log"):
            if key in ra:
                attrs[key] = decode(ra[key])
        if len(set(units)) == 1:
            attrs["units"] = units[0]
        else:
            attrs["units_by_variant"] = units
        out.append((name, np.asarray(vals), attrs))
    return out


# The root datasets of a batch with a design (combine: sobol), one entry
# per variant: which matrix (A, B, AB), base sample and column it is.
DESIGN_DATASETS = ("design_matrix", "design_base", "design_column")


def _design_coords(f, labels):
    """{name: ("variant", values, attrs)} for the design datasets the file
    has, in the order of `labels` (the variant groups read)."""
    if "variant" not in f:
        return {}
    allv = [str(v) for v in f["variant"].asstr()[()]]
    out = {}
    for name in DESIGN_DATASETS:
        if name not in f or not isinstance(f[name], h5py.Dataset):
            continue
        d = f[name]
        enum = h5py.check_enum_dtype(d.dtype)
        if h5py.check_string_dtype(d.dtype) is not None:
            vals = np.asarray(d.asstr()[()], dtype=object)
        elif enum:                       # an HDF5 enum: its names
            names = {v: k for k, v in enum.items()}
            vals = np.asarray([names.get(int(x), str(x)) for x in d[()]], dtype=object)
        else:
            vals = np.asarray(d[()])
        if len(vals) != len(allv):
            raise FileFormatError(f"{f.filename}: /{name} has {len(vals)} entries, "
                                  f"/variant {len(allv)}")
        out[name] = ("variant", vals[[allv.index(v) for v in labels]], attrs_of(d))
    return out


# --- open() --------------------------------------------------------------

def _fill_value(name, is_baseline):
    """What a mix lacking a variable gets: the baseline's avoided_* are 0
    (the baseline against itself), anything else NaN."""
    return 0 if is_baseline and name.startswith("avoided_") else np.nan


def _dates(month):
    """A run with a start month has a CF time axis: month's units are
    "months since YYYY-MM-01" in the 360_day calendar (docs/output.md).
    Its months as numpy datetime64 month starts, or None (no start, or a
    year numpy's nanoseconds cannot hold)."""
    units = str(month.attrs.get("units", ""))
    if month.attrs.get("calendar") != "360_day" or not units.startswith("months since "):
        return None
    try:
        start = np.datetime64(units[len("months since "):][:7], "M")
    except ValueError:
        return None
    months = start + np.asarray(month.values).astype("timedelta64[M]")
    if months.size and not (np.datetime64("1678-01", "M") <= months.min()
                            and months.max() <= np.datetime64("2261-12", "M")):
        return None
    return months.astype("datetime64[ns]")


def _mix_dataset(group, want):
    coords, variables = read_group(group, want)
    used = {d for dims, _, _ in variables.values() for d in dims}
    ds = xr.Dataset(
        {n: xr.Variable(dims, v, a) for n, (dims, v, a) in variables.items()},
        coords={n: xr.Variable((n,), v, a) for n, (v, a) in coords.items()
                if n in used or want is None})
    # month stays the integer index; the calendar month is `date`.
    dates = _dates(ds["month"]) if "month" in ds.coords else None
    if dates is not None:
        ds = ds.assign_coords(date=("month", dates, {
            "long_name": "calendar month of the month (its first day)"}))
    return ds


def _union_order(indexes):
    seen, out = set(), []
    for idx in indexes:
        for x in idx:
            if x not in seen:
                seen.add(x)
                out.append(x)
    return out


def _concat(parts, dim, labels):
    """Concatenates datasets along a new dimension: every data variable gets
    the dimension (none is taken as 'the same' for all), indexes are outer
    joined (NaN where a part lacks a label) and keep their first-seen order."""
    ds = xr.concat(parts, dim=pd.Index(labels, name=dim), data_vars="all",
                   coords="minimal", join="outer", combine_attrs="drop_conflicts")
    reorder = {}
    for d in ds.indexes:
        if d == dim:
            continue
        want = _union_order([p.indexes[d] for p in parts if d in p.indexes])
        if list(ds.indexes[d]) != want:
            reorder[d] = want
    return ds.reindex(reorder) if reorder else ds


def _fill_missing(parts, fill_of):
    """Gives every part each data variable some part has, so that
    concatenation adds the new dimension to all of them: part i lacking
    variable n gets fill_of(i, n) (NaN, or 0), shaped like another part's
    n; integers become float64 for NaN, strings get None."""
    names = _union_order([list(p.data_vars) for p in parts])
    for i, p in enumerate(parts):
        for n in names:
            if n in p.data_vars:
                continue
            tmpl = next(q[n] for q in parts if n in q.data_vars)
            fill = fill_of(i, n)
            dtype = tmpl.dtype if (fill == 0 or tmpl.dtype.kind == "f") else np.float64
            if tmpl.dtype.kind not in "iuf":
                fill, dtype = None, object
            p[n] = xr.full_like(tmpl, fill, dtype=dtype)


def _scenario_dataset(scen, want):
    """One run's mixes as one Dataset with a policy dimension."""
    mixes = _mixes(scen)
    parts, base_flags = [], []
    for name, g in mixes:
        parts.append(_mix_dataset(g, want))
        base_flags.append(decode(g.attrs.get("is_baseline")) == 1)
    # A variable missing from a mix (avoided_* in the baseline,
    # cost_per_avoided): zeros for the baseline's avoided_*, else NaN.
    _fill_missing(parts, lambda i, n: _fill_value(n, base_flags[i]))
    ds = _concat(parts, "policy", [m[0] for m in mixes])
    ds = ds.assign_coords(is_baseline=("policy", np.array(base_flags)))
    ds["is_baseline"].attrs["long_name"] = "the mix is the scenario's baseline"
    return ds, mixes


def _open(f, path, want=None):
    runs = _runs(f, path)
    root = attrs_of(f)
    batch = decode(f.attrs.get("kind")) == "batch"
    if not batch:
        scen = runs[0][1]
        ds, mixes = _scenario_dataset(scen, want)
        ds.attrs = {**root, **attrs_of(scen)}
        ds.attrs["baseline"] = decode(mixes[0][1].attrs.get("baseline")) or mixes[0][0]
        return ds
    parts, run_attrs = [], []
    for v, scen in runs:
        ds, _ = _scenario_dataset(scen, want)
        parts.append(ds.drop_vars("is_baseline"))
        run_attrs.append(attrs_of(scen))
    flags = {}
    for v, scen in runs:
        for name, g in _mixes(scen):
            flags.setdefault(name, decode(g.attrs.get("is_baseline")) == 1)
    labels = [v for v, _ in runs]
    # Variants of different scenarios differ in their variables (one
    # without producers that have a unit cost has no closed_months_*): NaN.
    _fill_missing(parts, lambda i, n: np.nan)
    ds = _concat(parts, "variant", labels)
    policies = _union_order([p.indexes["policy"] for p in parts])
    policies.sort(key=lambda p: 0 if flags.get(p) else 1)
    ds = ds.reindex(policy=policies)
    ds = ds.assign_coords(is_baseline=("policy", np.array([flags[p] for p in policies])))
    ds["is_baseline"].attrs["long_name"] = "the mix is the scenario's baseline"
    ds.attrs = root
    new = {}
    if "scenario" in f:
        allv = [str(v) for v in f["variant"].asstr()[()]]
        sc = f["scenario"].asstr()[()]
        new["scenario"] = ("variant", np.array([sc[allv.index(v)] if v in allv else ""
                                                for v in labels], dtype=object),
                           attrs_of(f["scenario"]))
    new.update(_design_coords(f, labels))
    sweeps = _sweep_coords(f, runs)
    taken = set(ds.variables) | set(new)
    for k, (name, vals, attrs) in enumerate(sweeps):
        if name in taken:
            name = attrs["sweep"]
        new[name] = ("variant", vals, attrs)
        taken.add(name)
    # The runs' own attributes (seed, trials_done, scenario_text...) are
    # per variant: coordinates along variant, when the root has no such
    # attribute.
    keys = _union_order([list(a) for a in run_attrs])
    for key in keys:
        if key in root or key in taken or key.startswith("sweep_"):
            continue
        vals = [a.get(key) for a in run_attrs]
        if any(isinstance(x, (list, np.ndarray)) for x in vals):
            continue
        if all(isinstance(x, (int, float, bool, np.number)) for x in vals):
            arr = np.array(vals)
        else:
            arr = np.array(["" if x is None else str(x) for x in vals], dtype=object)
        new[key] = ("variant", arr)
    return ds.assign_coords(new)


@contextlib.contextmanager
def _reading(path):
    """The open HDF5 file, closed on the way out; a structural error while
    reading it (a missing dataset, a wrong shape or type) becomes one
    FileFormatError naming the file."""
    f = _file(path)
    try:
        yield f
    except FileFormatError:
        raise
    except (KeyError, OSError, ValueError, TypeError) as e:
        raise FileFormatError(f"{path}: damaged shortfall results file "
                              f"({type(e).__name__}: {e})") from e
    finally:
        f.close()


def open(path):                                   # noqa: A001 (shortfall.open)
    """A shortfall results file as one xarray.Dataset.

    Any file shortfall writes: a single run, merged shards, an MPI run, an
    interrupted run, a --no-trials file, a batch or a batch part.  Every
    variable of a policy group gets a `policy` dimension (the baseline
    first); a batch adds a `variant` dimension and one coordinate along it
    per swept key, named after the key, with its units.  See
    docs/output.md, "Reading it with the shortfall package"."""
    path = os.fspath(path)
    with _reading(path) as f:
        return _open(f, path)


# --- trials() -----------------------------------------------------------

def _label(x):
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        x = int(x)
    return str(x)


def _columns(ds):
    """The per-trial variables of one run's Dataset as flat columns:
    {column: (DataArray with dims (policy, trial), attrs)}."""
    cols = {}
    for n, da in ds.data_vars.items():
        if "trial" not in da.dims:
            continue
        rest = [d for d in da.dims if d not in ("policy", "trial")]
        da = da.transpose("policy", "trial", *rest)
        if not rest:
            cols[n] = da
            continue
        stacked = da.stack(_col=rest) if len(rest) > 1 else da.rename({rest[0]: "_col"})
        for j in range(stacked.sizes["_col"]):
            lab = stacked["_col"].values[j]
            lab = ",".join(_label(x) for x in lab) if isinstance(lab, tuple) else _label(lab)
            cols[f"{n}[{lab}]"] = stacked.isel(_col=j, drop=True)
    return cols


def _run_frame(ds, extra):
    """One run's rows: one per trial and mix."""
    cols = _columns(ds)
    pol = ds.indexes["policy"]
    tri = ds.indexes["trial"]
    data = {**{k: np.repeat(np.asarray([v]), len(pol) * len(tri))
               for k, v in extra.items()},
            "policy": np.repeat(np.asarray(pol, dtype=object), len(tri)),
            "trial": np.tile(np.asarray(tri), len(pol))}
    units = {}
    for c, da in cols.items():
        data[c] = np.asarray(da.values).reshape(-1)
        units[c] = da.attrs.get("units", "")
    return pd.DataFrame(data), units


def trials(path):
    """The per-trial outcomes and drivers of a results file as a
    pandas.DataFrame, one row per trial and policy mix (and variant).

    Columns: `variant` and one per swept key (batch files), `policy`,
    `trial`, then every variable with a trial dimension: a variable of
    dims (trial,) keeps its name (`shortfall_cum_world`); one of dims
    (trial, X) gives a column per label of X (`shortfall_cum_region[US]`,
    `months_active[cn_controls]`); (trial, X, Y) gives `name[x,y]`.
    `df.attrs["units"]` maps each column to its units.  Raises ValueError
    (FileFormatError) for a --no-trials file."""
    path = os.fspath(path)
    with _reading(path) as f:
        runs = _runs(f, path)
        for v, scen in runs:
            has = scen.attrs.get("has_trials", f.attrs.get("has_trials"))
            if decode(has) == 0:
                raise FileFormatError(
                    f"{path}: written with --no-trials: it holds no per-trial "
                    "rows (run it again without --no-trials for shortfall.trials)")
        batch = decode(f.attrs.get("kind")) == "batch"
        sweeps = _sweep_coords(f, runs) if batch else []
        frames, units = [], {}
        for i, (v, scen) in enumerate(runs):
            ds, _ = _scenario_dataset(scen, lambda n, dims: "trial" in dims)
            if "trial" not in ds.indexes:
                raise FileFormatError(f"{path}: no per-trial rows in /{scen.name}")
            extra = {}
            if batch:
                extra["variant"] = v
                for name, vals, _ in sweeps:
                    extra[name] = vals[i]
            frame, u = _run_frame(ds, extra)
            frames.append(frame)
            units.update(u)
    df = pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0]
    df.attrs["file"] = path
    df.attrs["units"] = units
    df.attrs["sweeps"] = [name for name, _, _ in sweeps]
    for name, _, a in sweeps:
        units.setdefault(name, a.get("units", ""))
    df.attrs["baseline"] = str(df["policy"].iloc[0]) if len(df) else ""
    return df
