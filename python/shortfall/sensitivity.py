"""Sensitivity analysis of shortfall's results (docs/sensitivity.md).

    shortfall.sobol_indices(path_or_dataset, "shortfall_cum_world")
        first-order and total Sobol indices of a batch run with a Sobol
        design (combine: sobol), with bootstrap percentile intervals
    shortfall.tail_drivers(shortfall.trials(path), "shortfall_cum_world")
        what drives the tail: each recorded driver's mean in the worst
        trials against its mean over all, standardised

The estimators work on plain arrays too (sobol_from_samples,
sobol_bootstrap), so that they can be tested on functions whose indices
are known."""
import math

import numpy as np
import pandas as pd

# The per-trial columns that are drivers of a trial (inputs drawn by the
# model, not outcomes): a column whose variable name is one of these, or
# one of these followed by "[label]".  This list is the rule; a batch's
# swept keys are drivers too (tail_drivers adds them).
DRIVER_VARIABLES = (
    "months_active",
    "shock_onset_month",
    "shock_episodes",
    "shock_severity_mean",
    "regime_months",
    "project_lead_months",
    "project_completed",
    "demand_noise_mean",
)

_KEEP_DIMS = ("variant", "policy", "trial")


# --- the estimators on arrays -------------------------------------------

def sobol_from_samples(fA, fB, fAB):
    """First-order and total Sobol indices from a Saltelli design.

    fA, fB: f on the N rows of the base matrices A and B; fAB: shape (k, N),
    f on A with column i taken from B (the matrix A_B^(i)).  Returns (S1,
    ST, V), arrays of length k and the variance: S1_i = mean(fB * (fAB_i -
    fA)) / V (Saltelli et al. 2010), ST_i = mean((fA - fAB_i)^2) / (2 V)
    (Jansen 1999), V = the variance (ddof 1) of f over the 2N rows of A and
    B; f is centred on its mean over those rows first.  An input that f
    does not depend on (fAB_i == fA) gets exactly 0.  Raises ValueError
    when V is 0 (the indices are not defined)."""
    fA = np.asarray(fA, dtype=float)
    fB = np.asarray(fB, dtype=float)
    fAB = np.atleast_2d(np.asarray(fAB, dtype=float))
    if fA.shape != fB.shape or fAB.shape[1:] != fA.shape or fA.ndim != 1:
        raise ValueError(f"shapes do not match: fA {fA.shape}, fB {fB.shape}, "
                         f"fAB {fAB.shape} (want N, N and k x N)")
    if fA.size < 2:
        raise ValueError("a Sobol design needs at least 2 base samples")
    S1, ST, V = _indices(fA, fB, fAB)
    if not np.isfinite(V) or V == 0:
        raise ValueError("the output does not vary across the design (variance "
                         f"{V}): Sobol indices are not defined")
    return S1, ST, V


def _indices(fA, fB, fAB):
    """The estimators, f centred first on its mean over A and B: the same
    in expectation (the numerators are unchanged by a constant added to f)
    but with far less sampling error when f's mean is large against its
    spread (Saltelli et al. 2010, sec. 3; SALib centres too)."""
    both = np.concatenate([fA, fB])
    V = np.var(both, ddof=1)
    if V == 0:
        return None, None, V
    c = both.mean()
    a, b, ab = fA - c, fB - c, fAB - c
    S1 = np.mean(b * (ab - a), axis=1) / V
    ST = np.mean((a - ab) ** 2, axis=1) / (2 * V)
    return S1, ST, V


def sobol_bootstrap(fA, fB, fAB, bootstrap=1000, seed=None, confidence=0.95):
    """sobol_from_samples with bootstrap percentile intervals: the base
    samples j are resampled with replacement (A, B and every AB_i row of a
    j together) `bootstrap` times; the interval is the (1 - confidence)/2
    and (1 + confidence)/2 percentiles of the resampled indices.

    Returns a dict of arrays (length k): S1, S1_low, S1_high, ST, ST_low,
    ST_high; and V, N, bootstrap, confidence.  A resample whose variance is
    0 is drawn again (at most `bootstrap` times in all)."""
    fA = np.asarray(fA, dtype=float)
    fB = np.asarray(fB, dtype=float)
    fAB = np.atleast_2d(np.asarray(fAB, dtype=float))
    S1, ST, V = sobol_from_samples(fA, fB, fAB)
    n = fA.size
    out = {"S1": S1, "ST": ST, "V": V, "N": n, "bootstrap": int(bootstrap),
           "confidence": float(confidence)}
    if bootstrap <= 0:
        for key in ("S1_low", "S1_high", "ST_low", "ST_high"):
            out[key] = np.full_like(S1, np.nan)
        return out
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence}: want a number in (0, 1)")
    rng = np.random.default_rng(seed)
    s1s, sts, redraws = [], [], 0
    while len(s1s) < bootstrap:
        j = rng.integers(0, n, n)
        s1, st, v = _indices(fA[j], fB[j], fAB[:, j])
        if v == 0:
            redraws += 1
            if redraws > bootstrap:
                raise ValueError("bootstrap: too many resamples without variance")
            continue
        s1s.append(s1)
        sts.append(st)
    q = [50 * (1 - confidence), 50 * (1 + confidence)]
    out["S1_low"], out["S1_high"] = np.percentile(np.array(s1s), q, axis=0)
    out["ST_low"], out["ST_high"] = np.percentile(np.array(sts), q, axis=0)
    return out


# --- the design of a batch file ------------------------------------------

def _matrix_kind(m, column):
    """'A', 'B' or 'AB' from a design_matrix entry: a string ("A", "b",
    "AB", "AB_2"...), or an integer code 0 = A, 1 = B, 2 = AB; an entry
    with a column >= 0 is AB whatever it says."""
    if column >= 0:
        return "AB"
    if isinstance(m, bytes):
        m = m.decode("utf-8", "replace")
    if isinstance(m, str):
        s = m.strip().upper()
        if s.startswith("AB"):
            return "AB"
        if s in ("A", "B"):
            return s
        raise ValueError(f"design_matrix entry {m!r}: want A, B or AB")
    code = int(m)
    if code in (0, 1, 2):
        return ("A", "B", "AB")[code]
    raise ValueError(f"design_matrix code {code}: want 0 (A), 1 (B) or 2 (AB)")


def design_samples(f, matrix, base, column, k=None):
    """Sorts one value of f per variant into (fA, fB, fAB) by the variant's
    design entries (matrix, base sample j, column i).  k, the number of
    parameters, defaults to the largest column + 1.  Raises ValueError when
    some (matrix, j, i) is missing or given twice."""
    f = np.asarray(f, dtype=float)
    base = np.asarray(base).astype(int)
    column = np.asarray(column).astype(int)
    if not (len(f) == len(matrix) == len(base) == len(column)):
        raise ValueError("design: one matrix, base and column entry per variant")
    if k is None:
        k = int(column.max()) + 1 if len(column) else 0
    n = int(base.max()) + 1 if len(base) else 0
    fA, fB = np.full(n, np.nan), np.full(n, np.nan)
    fAB = np.full((k, n), np.nan)
    seen = set()
    for v in range(len(f)):
        kind, j, i = _matrix_kind(matrix[v], column[v]), base[v], column[v]
        key = (kind, j, i if kind == "AB" else -1)
        if j < 0 or key in seen or (kind == "AB" and i >= k):
            raise ValueError(f"design: variant {v} ({kind}, base {j}, column {i}) "
                             "is out of range or given twice")
        seen.add(key)
        if kind == "A":
            fA[j] = f[v]
        elif kind == "B":
            fB[j] = f[v]
        else:
            fAB[i, j] = f[v]
    want = 2 * n + k * n
    if len(seen) != want:
        raise ValueError(f"design: {len(seen)} of the {want} variants of a Sobol "
                         f"design with N = {n} and k = {k} (A, B and AB_i for every "
                         "base sample); a part of a batch? merge the parts first")
    return fA, fB, fAB


# --- selecting an output ---------------------------------------------------

def parse_output(name):
    """'shortfall_cum_region[US]' -> ('shortfall_cum_region', ['US']);
    'shortfall_cum_world' -> ('shortfall_cum_world', [])."""
    if name.endswith("]") and "[" in name:
        var, labels = name[:-1].split("[", 1)
        return var, labels.split(",")
    return name, []


def _mean_name(var):
    """The summary variable of a per-trial output: shortfall_cum_world ->
    shortfall_cum_mean_world, shortfall_cum_region -> shortfall_cum_mean_region,
    shortfall_cum -> shortfall_cum_mean."""
    for suffix in ("_world", "_region"):
        if var.endswith(suffix):
            return var[: -len(suffix)] + "_mean" + suffix
    return var + "_mean"


def _pick(ds, var, labels, select):
    """ds[var] with its dimensions other than variant, policy and trial
    selected by `select` ({dim: label}) or by the labels of NAME[...]."""
    da = ds[var]
    rest = [d for d in da.dims if d not in _KEEP_DIMS]
    select = dict(select or {})
    if labels:
        if select or len(labels) != len(rest):
            raise ValueError(f"{var}[{','.join(labels)}]: {var} has dimensions "
                             f"{', '.join(rest) or 'none'} besides trial")
        select = dict(zip(rest, labels))
    for d in select:
        if d not in rest:
            raise ValueError(f"{var} has no dimension {d} (its dimensions besides "
                             f"variant, policy and trial: {', '.join(rest) or 'none'})")
    for d in rest:
        idx = [str(x) for x in ds.indexes[d]] if d in ds.indexes else []
        if d not in select:
            raise ValueError(f"{var} has dimension {d}: choose one of "
                             f"{', '.join(idx)} (--{d} LABEL)")
        if str(select[d]) not in idx:
            raise ValueError(f"{d} {select[d]!r} not in the file (it has "
                             f"{', '.join(idx)})")
        da = da.isel({d: idx.index(str(select[d]))})
    return da


def baseline_of(ds):
    """The baseline mix of a Dataset from shortfall.open."""
    if "is_baseline" in ds.coords:
        flags = np.asarray(ds["is_baseline"].values, dtype=bool)
        if flags.any():
            return str(ds.indexes["policy"][int(np.argmax(flags))])
    return str(ds.attrs.get("baseline", ds.indexes["policy"][0]))


def variant_outputs(ds, output, policy=None, select=None):
    """f per variant: the mean over trials of `output` for one mix (default
    the baseline) from the per-trial rows when the file has them (a NaN
    trial, one a variant lacks, is left out), else from the summary
    variable <output>_mean.  Returns (values along variant, units)."""
    var, labels = parse_output(output)
    policy = baseline_of(ds) if policy is None else policy
    if policy not in [str(p) for p in ds.indexes["policy"]]:
        raise ValueError(f"no policy mix {policy!r} (the file has "
                         f"{', '.join(map(str, ds.indexes['policy']))})")
    if var in ds.data_vars and "trial" in ds[var].dims:
        da = _pick(ds, var, labels, select).sel(policy=policy)
        vals = da.transpose("variant", "trial").values.astype(float)
        with np.errstate(invalid="ignore"):
            f = np.nanmean(vals, axis=1) if np.isnan(vals).any() else vals.mean(axis=1)
    else:
        mean = var if var.endswith("_mean") or "_mean_" in var else _mean_name(var)
        if mean not in ds.data_vars:
            raise ValueError(f"no per-trial variable {var} and no summary {mean} "
                             "in the file")
        da = _pick(ds, mean, labels, select).sel(policy=policy)
        f = da.transpose("variant").values.astype(float)
    return f, str(ds[var if var in ds.data_vars else mean].attrs.get("units", ""))


def _parameters(ds, k):
    """[(name, units, path)] of sweep_0 ... sweep_{k-1}: the reader's
    coordinate for each (named and with units as docs/batches.md says)."""
    out = []
    for i in range(k):
        hit = [c for c in ds.coords if ds[c].attrs.get("sweep") == f"sweep_{i}"]
        if not hit:
            out.append((f"sweep_{i}", "", ""))
            continue
        a = ds[hit[0]].attrs
        units = a.get("units")
        if units is None:
            units = "/".join(sorted(set(a.get("units_by_variant") or [""])))
        out.append((hit[0], units, a.get("path", "")))
    return out


def _scale_labels(dset, i):
    """(name, labels) of axis i of an HDF5 dataset: its dimension scale."""
    import h5py
    scale = dset.dims[i][0] if len(dset.dims[i]) else None
    if scale is None:
        return f"dim_{i}", []
    # The scale's NAME attribute (H5DSset_scale) is its dimension's name;
    # h5py's .name of a dereferenced object searches the whole file.
    name = scale.attrs.get("NAME", b"")
    name = name.decode() if isinstance(name, bytes) else str(name)
    if not name or name.startswith("This is a netCDF dimension"):
        name = scale.name.rsplit("/", 1)[-1]
    if h5py.check_string_dtype(scale.dtype) is not None:
        return name, [str(x) for x in scale.asstr()[()]]
    return name, [_label(x) for x in scale[()]]


def _label(x):
    x = x.item() if hasattr(x, "item") else x
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _variant_value(scen, var, labels, select, policy):
    """One variant's f from its scenario group, with h5py: the mean over
    trials of `var` (or its summary variable) for mix `policy` (None: the
    baseline)."""
    from .reader import _mixes
    mixes = _mixes(scen)
    if policy is None:
        g = mixes[0][1]
    else:
        hits = [m for n, m in mixes if n == policy]
        if not hits:
            raise ValueError(f"no policy mix {policy!r} in /{scen.name.lstrip('/')} "
                             f"(it has {', '.join(n for n, _ in mixes)})")
        g = hits[0]
    name = var if var in g else _mean_name(var)
    if name not in g:
        raise ValueError(f"no per-trial variable {var} and no summary {name} in the file")
    d = g[name]
    dims = [_scale_labels(d, i) for i in range(d.ndim)]
    rest = [(n, labs) for n, labs in dims if n != "trial"]
    sel = dict(select or {})
    if labels:
        if sel or len(labels) != len(rest):
            raise ValueError(f"{var}[{','.join(labels)}]: {var} has dimensions "
                             f"{', '.join(n for n, _ in rest) or 'none'} besides trial")
        sel = {n: lab for (n, _), lab in zip(rest, labels)}
    for k in sel:
        if k not in [n for n, _ in rest]:
            raise ValueError(f"{var} has no dimension {k} (its dimensions besides "
                             f"variant, policy and trial: "
                             f"{', '.join(n for n, _ in rest) or 'none'})")
    index = []
    for n, labs in dims:
        if n == "trial":
            index.append(slice(None))
            continue
        if n not in sel:
            raise ValueError(f"{var} has dimension {n}: choose one of "
                             f"{', '.join(labs)} (--{n} LABEL)")
        if str(sel[n]) not in labs:
            raise ValueError(f"{n} {sel[n]!r} not in the file (it has {', '.join(labs)})")
        index.append(labs.index(str(sel[n])))
    vals = np.asarray(d[()], dtype=float)[tuple(index)] if d.ndim else float(d[()])
    units = d.attrs.get("units", b"")
    units = units.decode() if isinstance(units, bytes) else str(units)
    return (float(np.mean(vals)) if np.ndim(vals) else float(vals)), units


def _file_parameters(f, scen, k):
    """[(name, units, path)] of sweep_0 ... sweep_{k-1}: the attributes
    name, units and path of /sweep_<k> when the file has them, else by the
    rules of docs/batches.md on the batch text and the first variant's
    scenario (as the reader does)."""
    from . import _sweeps
    from ._h5 import decode
    try:
        import yaml
    except ImportError:
        yaml = None
    paths = []
    for i in range(k):
        a = f[f"sweep_{i}"].attrs if f"sweep_{i}" in f else {}
        ln = decode(a.get("long_name")) or ""
        paths.append(decode(a.get("path")) or
                     (ln[len("swept value of "):] if ln.startswith("swept value of ")
                      else f"sweep_{i}"))
    scenario = {}
    if yaml is not None:
        try:
            batch = yaml.safe_load(decode(f.attrs.get("batch_text")) or "") or {}
            bp = [x.get("path") for x in batch.get("sweeps") or []]
            if len(bp) == k and all(isinstance(x, str) for x in bp):
                paths = bp
            scenario = yaml.safe_load(decode(scen.attrs.get("scenario_text")) or "") or {}
        except Exception:
            pass
    names = _sweeps.names(paths)
    out = []
    for i, path in enumerate(paths):
        a = f[f"sweep_{i}"].attrs if f"sweep_{i}" in f else {}
        # A /sweep_<k> with a name attribute names the key's units too;
        # before that, its units attribute was the dataset's ("1").
        units = decode(a.get("units")) if a.get("name") is not None else None
        if units is None:
            try:
                units = _sweeps.unit(scenario, path)
            except Exception:
                units = ""
        out.append((decode(a.get("name")) or names[i], units or "", path))
    return out


def read_design(path, output, policy=None, select=None):
    """What sobol_indices needs from a Sobol batch file, read with h5py
    alone (only the output's dataset of each variant; shortfall.open reads
    every variable): (f per variant, matrix, base, column, parameters,
    attrs, policy, units).  Raises ValueError for a file without
    design = "sobol"."""
    from . import reader
    from ._h5 import decode
    path = str(path)
    f = reader._file(path)
    try:
        if decode(f.attrs.get("design")) != "sobol":
            raise ValueError(f"{path}: not a batch with a Sobol design (root attribute "
                             "design = 'sobol'; a batch with combine: sobol writes it)")
        variants = [str(v) for v in f["variant"].asstr()[()]]
        missing = [v for v in variants if v not in f]
        if missing:
            raise ValueError(f"{path}: variant groups missing ({', '.join(missing[:3])}"
                             f"{', ...' if len(missing) > 3 else ''}): a part of a batch? "
                             "merge the parts first")
        design = reader._design_coords(f, variants)
        for c in reader.DESIGN_DATASETS:
            if c not in design:
                raise ValueError(f"{path}: a Sobol design without /{c}")
        var, labels = parse_output(output)
        runs = [f[v] for v in variants]
        if policy is None:
            policy = reader._mixes(runs[0])[0][0]
        vals, units = [], ""
        for scen in runs:
            x, units = _variant_value(scen, var, labels, select, policy)
            vals.append(x)
        col = np.asarray(design["design_column"][1]).astype(int)
        k = 0
        while f"sweep_{k}" in f:
            k += 1
        k = max(k, int(col.max()) + 1)
        params = _file_parameters(f, runs[0], k)
        attrs = {"design_samples": decode(f.attrs.get("design_samples"))}
    finally:
        f.close()
    return (np.array(vals), design["design_matrix"][1], design["design_base"][1], col,
            params, attrs, policy, units)


def sobol_indices(source, output, policy=None, select=None, bootstrap=1000,
                  seed=None, confidence=0.95):
    """First-order and total Sobol indices of a batch run with a Sobol design.

    source: a path (read with h5py, only the output: read_design), or a
    Dataset from shortfall.open.  output: a per-trial variable
    (`shortfall_cum_world`), with its other dimensions chosen by `select`
    ({"region": "US"}) or in brackets (`shortfall_cum_region[US]`).  f per
    variant is the output's mean over that variant's trials for the mix
    `policy` (default the baseline).  Returns a pandas.DataFrame, a row per
    swept parameter (index: the parameter's name), columns units, path,
    S1, S1_low, S1_high, ST, ST_low, ST_high; attrs: V, N, output, policy,
    bootstrap, confidence, units (the output's), select.  Raises
    ValueError for a file without design = "sobol"."""
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        f, matrix, base, col, params, attrs, policy, units = read_design(
            source, output, policy, select)
        name = str(source)
    else:
        ds, name = source, "dataset"
        if str(ds.attrs.get("design", "")) != "sobol":
            raise ValueError(f"{name}: not a batch with a Sobol design (root attribute "
                             "design = 'sobol'; a batch with combine: sobol writes it)")
        for c in ("design_matrix", "design_base", "design_column"):
            if c not in ds.coords:
                raise ValueError(f"{name}: a Sobol design without {c}")
        k = 0
        while f"sweep_{k}" in [ds[c].attrs.get("sweep") for c in ds.coords]:
            k += 1
        col = np.asarray(ds["design_column"].values).astype(int)
        k = max(k, int(col.max()) + 1)
        policy = baseline_of(ds) if policy is None else policy
        f, units = variant_outputs(ds, output, policy, select)
        matrix, base = ds["design_matrix"].values, ds["design_base"].values
        params, attrs = _parameters(ds, k), ds.attrs
    fA, fB, fAB = design_samples(f, matrix, base, col, len(params))
    want = attrs.get("design_samples")
    if want is not None and int(want) != fA.size:
        raise ValueError(f"{name}: design_samples is {want} but the design has "
                         f"{fA.size} base samples")
    r = sobol_bootstrap(fA, fB, fAB, bootstrap, seed, confidence)
    df = pd.DataFrame({"units": [p[1] for p in params], "path": [p[2] for p in params],
                       **{c: r[c] for c in ("S1", "S1_low", "S1_high",
                                            "ST", "ST_low", "ST_high")}},
                      index=pd.Index([p[0] for p in params], name="parameter"))
    df.attrs.update({"V": float(r["V"]), "N": int(r["N"]), "output": output,
                     "policy": policy, "bootstrap": r["bootstrap"],
                     "confidence": r["confidence"], "units": units,
                     "select": dict(select or {})})
    return df


# --- what drives the tail ------------------------------------------------

def driver_columns(df, sweeps=None):
    """The driver columns of a shortfall.trials frame: those of the
    variables in DRIVER_VARIABLES (`months_active[cn_controls]`), then the
    swept keys of a batch (df.attrs["sweeps"], or `sweeps`)."""
    cols = [c for c in df.columns if parse_output(c)[0] in DRIVER_VARIABLES]
    sw = df.attrs.get("sweeps", []) if sweeps is None else sweeps
    return cols + [c for c in sw if c in df.columns and c not in cols]


def output_column(df, output, select=None):
    """The column of `output` in a trials frame: the name itself, or
    NAME[labels] with the labels of `select` ({"region": "US"}) in any
    order."""
    if output in df.columns:
        if select:
            raise ValueError(f"{output} is a column already: no selection needed")
        return output
    want = sorted(str(v) for v in (select or {}).values())
    hits = [c for c in df.columns if c.startswith(output + "[")
            and sorted(parse_output(c)[1]) == want]
    if len(hits) == 1:
        return hits[0]
    cands = [c for c in df.columns if c.startswith(output + "[")]
    if not cands:
        raise ValueError(f"no per-trial column {output} in the file")
    raise ValueError(f"{output}: choose one of {', '.join(cands)} "
                     "(NAME[label] or --region/--node/... LABEL)")


def tail_drivers(df, output, policy=None, tail=0.05, select=None, drivers=None):
    """What drives the tail of `output` for one mix.

    df: shortfall.trials(path).  The rows of mix `policy` (default the
    baseline: df.attrs["baseline"], else the first row's mix) whose output
    is a number; the tail is the ceil(tail x n) of them with the largest
    output (ties: the earlier row); for a batch, rows of every variant.
    For each driver column (driver_columns(df) unless `drivers` is given):
    mean_tail, mean_all and d = (mean_tail - mean_all) / sd_all (sd with
    ddof 1, NaNs left out); a driver that is constant (sd_all 0) has d = 0.
    Returns a DataFrame (index: driver) with columns units, mean_tail,
    mean_all, sd_all, d, ranked by |d|, constants last; attrs: output,
    column, policy, tail, n, n_tail."""
    if not 0 < tail < 1:
        raise ValueError(f"tail {tail}: want a fraction in (0, 1)")
    col = output_column(df, output, select)
    if policy is None:
        policy = df.attrs.get("baseline") or str(df["policy"].iloc[0])
    rows = df[df["policy"] == policy]
    if rows.empty:
        raise ValueError(f"no policy mix {policy!r} (the file has "
                         f"{', '.join(pd.unique(df['policy']).astype(str))})")
    y = rows[col].to_numpy(dtype=float)
    ok = np.isfinite(y)
    rows, y = rows[ok], y[ok]
    n = len(y)
    if n == 0:
        raise ValueError(f"{col}: no trial of {policy} has a value")
    n_tail = max(1, math.ceil(tail * n - 1e-9))
    order = np.argsort(-y, kind="stable")[:n_tail]
    drivers = driver_columns(df) if drivers is None else list(drivers)
    units = df.attrs.get("units", {})
    recs = []
    for c in drivers:
        x = rows[c].to_numpy(dtype=float)
        all_ok = x[np.isfinite(x)]
        if all_ok.size == 0:
            continue
        t = x[order]
        t = t[np.isfinite(t)]
        m_all = float(all_ok.mean())
        m_tail = float(t.mean()) if t.size else float("nan")
        sd = float(all_ok.std(ddof=1)) if all_ok.size > 1 else 0.0
        const = not (sd > 0)
        d = 0.0 if const else (m_tail - m_all) / sd
        recs.append((c, units.get(c, ""), m_tail, m_all, sd, d, const))
    recs.sort(key=lambda r: (r[6], -abs(r[5]) if np.isfinite(r[5]) else 0.0))
    out = pd.DataFrame([r[1:6] for r in recs],
                       columns=["units", "mean_tail", "mean_all", "sd_all", "d"],
                       index=pd.Index([r[0] for r in recs], name="driver"))
    out.attrs.update({"output": output, "column": col, "policy": policy,
                      "tail": tail, "n": n, "n_tail": n_tail})
    return out
