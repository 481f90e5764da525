"""Tests of the Python reader (python/shortfall), run by tests/cli/reader.sh
on files that shortfall wrote:

    test_reader.py DIR BATCH_YAML BATCH2_YAML

DIR holds single.h5 (a run), merged.h5 (two shards merged), notrials.h5
(--no-trials), batch.h5 (BATCH_YAML: one swept key) and batch2.h5
(BATCH2_YAML: two swept keys, a grid), keys.h5 (eight kinds of swept
keys) with keys.json (`shortfall info --format json` of it), and
interrupted.h5 when the script made one.  Every expected value comes from h5py on the same file or from
the batch files' text, never from the reader.  Prints "ok NAME" or
"not ok NAME" with the failed assertion."""
import os
import sys
import traceback
import warnings

import h5py
import numpy as np
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import shortfall  # noqa: E402

DIR, BATCH_YAML, BATCH2_YAML = sys.argv[1:4]
P = lambda name: os.path.join(DIR, name)  # noqa: E731
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def dec(a):
    return [x.decode() if isinstance(x, bytes) else str(x) for x in a]


def h5_runs(path):
    """[(variant or None, {policy: group})] by h5py alone."""
    f = h5py.File(path, "r")
    if f.attrs.get("kind") == b"batch":
        names = [n for n in f if isinstance(f[n], h5py.Group)]
    else:
        names = [f.attrs["scenario_name"].decode()]
    return f, [(n if f.attrs.get("kind") == b"batch" else None,
                {p: f[n][p] for p in f[n]}) for n in names]


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "O":
        return [str(x) for x in a.ravel()] == [str(x) for x in b.ravel()]
    return a.tobytes() == b.tobytes()


def check_file(path):
    """Every dataset of every policy group equals, bit for bit and with
    its dtype, the reader's value at that policy (and variant), with the
    same dimensions; every data variable has the policy dimension; the
    baseline's avoided_* are 0 and cost_per_avoided NaN."""
    ds = shortfall.open(path)
    f, runs = h5_runs(path)
    n = 0
    for var, da in ds.data_vars.items():
        assert "policy" in da.dims, f"{var} has no policy dimension: {da.dims}"
    for v, mixes in runs:
        sub = ds.sel(variant=v) if v is not None else ds
        assert list(sub.policy.values)[0] == [p for p, g in mixes.items()
                                               if g.attrs["is_baseline"] == 1][0]
        for pol, g in mixes.items():
            at = sub.sel(policy=pol)
            # The group's dimension scales by object address (h5py's .name
            # of a scale is slow in a file of many groups).
            scales = {h5py.h5o.get_info(d.id).addr: n for n, d in g.items()
                      if d.attrs.get("CLASS") == b"DIMENSION_SCALE"}
            for name, d in g.items():
                if d.attrs.get("CLASS") == b"DIMENSION_SCALE":
                    continue
                dims = tuple(scales[h5py.h5o.get_info(x[0].id).addr] for x in d.dims)
                got = at.variables[name]
                assert got.dims == dims, f"{pol}/{name}: {got.dims} != {dims}"
                want = d[()]
                if (got.dtype == np.float64 and want.dtype.kind in "iu"
                        and any(name not in h for h in mixes.values())):
                    # An integer variable some mix lacks (project_*) is
                    # filled with NaN there, so float64 (docs/output.md).
                    want = want.astype(np.float64)
                assert same_bits(got.values, want), f"{v}/{pol}/{name} differs"
                assert got.attrs.get("units") == d.attrs["units"].decode(), name
                assert got.attrs.get("long_name") == d.attrs["long_name"].decode(), name
                n += 1
            if g.attrs["is_baseline"] == 1:
                assert "avoided_mean" not in g or np.all(g["avoided_mean"][()] == 0)
                for name in ("avoided_mean", "avoided_se", "avoided_p_better",
                             "avoided_p_worse", "avoided_mean_region",
                             "avoided_se_world", "avoided_quantile_region"):
                    assert np.all(at[name].values == 0), f"baseline {name} not 0"
                assert np.isnan(at["cost_per_avoided"].values), "baseline cost_per_avoided"
            else:
                assert np.isfinite(at["avoided_mean_world"].values)
    for k in ("software", "format_version", "created", "command_line"):
        want = f.attrs[k]
        want = want.decode() if isinstance(want, bytes) else want
        assert ds.attrs[k] == want, k
    assert n > 100, f"only {n} datasets compared"
    # A mix that avoids something: zero-filling everything would fail this.
    assert float(abs(ds.avoided_mean_world).max()) > 0
    return ds


@test
def single_run():
    ds = check_file(P("single.h5"))
    assert ds.shortfall_cum_region.dims == ("policy", "trial", "region")
    assert ds.sizes["trial"] == h5py.File(P("single.h5"))["toy-magnets/baseline/trial"].shape[0]
    assert list(ds.policy.values) == ["baseline", "stockpile", "build"]
    assert list(ds.is_baseline.values) == [True, False, False]


@test
def merged_shards():
    ds = check_file(P("merged.h5"))
    assert list(ds.trial.values) == list(range(200))


@test
def no_trials_file():
    ds = check_file(P("notrials.h5"))
    assert "trial" not in ds.dims
    try:
        shortfall.trials(P("notrials.h5"))
    except ValueError as e:
        assert "notrials.h5" in str(e) and "--no-trials" in str(e), str(e)
    else:
        raise AssertionError("trials() of a --no-trials file did not raise")


@test
def interrupted_file():
    if not os.path.exists(P("interrupted.h5")):
        print("# no interrupted file made")
        return
    ds = check_file(P("interrupted.h5"))
    f = h5py.File(P("interrupted.h5"))
    assert ds.attrs["complete"] == 0
    assert ds.sizes["trial"] == f.attrs["trials_done"] < f.attrs["trials"]
    assert len(shortfall.trials(P("interrupted.h5"))) == 3 * f.attrs["trials_done"]


def check_batch(path, batch_yaml):
    ds = check_file(path)
    spec = yaml.safe_load(open(batch_yaml))
    sweeps = spec["sweeps"]
    f = h5py.File(path)
    variants = dec(f["variant"][()])
    assert list(ds.variant.values) == variants
    # The grid of the batch text, the last sweep fastest (docs/batches.md).
    grid = np.array(np.meshgrid(*[s["values"] for s in sweeps], indexing="ij"))
    grid = grid.reshape(len(sweeps), -1)
    return ds, sweeps, grid


@test
def batch_one_key():
    ds, sweeps, grid = check_batch(P("batch.h5"), BATCH_YAML)
    assert sweeps[0]["path"].endswith(".hazard_per_year")
    c = ds["hazard_per_year"]
    assert c.dims == ("variant",)
    assert list(c.values) == list(grid[0])
    assert c.attrs["units"] == "1/year", c.attrs
    assert "sweep_0" not in ds.coords


@test
def batch_two_keys():
    ds, sweeps, grid = check_batch(P("batch2.h5"), BATCH2_YAML)
    assert list(ds["hazard_per_year"].values) == list(grid[0])
    assert list(ds["initial_months"].values) == list(grid[1])
    assert ds["hazard_per_year"].attrs["units"] == "1/year"
    assert ds["initial_months"].attrs["units"] == "months"
    # The grid as dimensions (xarray warns about NaN cast to the integer
    # coordinates along variant while it unstacks; a full grid has none).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g = ds.shortfall_cum_mean_world.set_index(
            variant=["hazard_per_year", "initial_months"]).unstack("variant")
    assert list(g.hazard_per_year.values) == [0.2, 0.8]
    assert same_bits(g.sel(policy="stockpile", hazard_per_year=0.8, initial_months=6).values,
                     ds.shortfall_cum_mean_world.sel(policy="stockpile", variant="toy-magnets-4").values)
    assert g.dims == ("policy", "hazard_per_year", "initial_months"), g.dims


def check_trials(path):
    df = shortfall.trials(path)
    f, runs = h5_runs(path)
    n_rows = 0
    for v, mixes in runs:
        for pol, g in mixes.items():
            rows = df[(df.policy == pol) & ((df.variant == v) if v else True)]
            n = g["trial"].shape[0]
            n_rows += n
            assert len(rows) == n, (v, pol, len(rows), n)
            assert list(rows.trial) == list(g["trial"][()])
            assert same_bits(rows["shortfall_cum_world"].to_numpy(), g["shortfall_cum_world"][()])
            regions = dec(g["region"][()])
            for i, r in enumerate(regions):
                assert same_bits(rows[f"shortfall_cum_region[{r}]"].to_numpy(),
                                 g["shortfall_cum_region"][:, i])
            for i, s in enumerate(dec(g["shock"][()])):
                assert same_bits(rows[f"months_active[{s}]"].to_numpy(),
                                 g["months_active"][:, i])
                # The drivers (docs/output.md, "Drivers"), as h5py reads them.
                for d in ("shock_onset_month", "shock_episodes", "shock_severity_mean"):
                    assert same_bits(rows[f"{d}[{s}]"].to_numpy(), g[d][:, i]), (pol, d, s)
            for i, nd in enumerate(dec(g["node"][()])):
                assert same_bits(rows[f"demand_noise_mean[{nd}]"].to_numpy(),
                                 g["demand_noise_mean"][:, i])
            # Projects: the mix's own, and NaN for those another mix builds.
            built = dec(g["project"][()]) if "project" in g else []
            for c in (c for c in df.columns if c.startswith("project_")):
                name, node = c[:-1].split("[")
                col = rows[c].to_numpy()
                if node in built:
                    assert (col == g[name][:, built.index(node)]).all(), (pol, c)
                else:
                    assert np.isnan(col).all(), (pol, c)
            for node in built:
                assert f"project_completed[{node}]" in df.columns, (pol, node)
    assert len(df) == n_rows, (len(df), n_rows)
    assert df.attrs["units"]["shock_onset_month[cn_controls]"] == "months"
    assert df.attrs["units"]["project_lead_months[us_plant]"] == "months"
    assert df.attrs["units"]["shortfall_cum_world"] == "t"
    assert df.attrs["units"]["months_active[cn_controls]"] == "months"
    return df


@test
def trials_single():
    df = check_trials(P("single.h5"))
    f = h5py.File(P("single.h5"))
    assert len(df) == f.attrs["trials_done"] * 3
    assert list(df.columns[:2]) == ["policy", "trial"]


@test
def trials_merged():
    df = check_trials(P("merged.h5"))
    assert len(df) == 200 * 3


@test
def trials_batch():
    df = check_trials(P("batch.h5"))
    spec = yaml.safe_load(open(BATCH_YAML))
    vals = spec["sweeps"][0]["values"]
    assert len(df) == 50 * 3 * len(vals)
    assert list(df.columns[:4]) == ["variant", "hazard_per_year", "policy", "trial"]
    for i, v in enumerate(sorted(set(df.variant), key=list(df.variant).index)):
        assert set(df[df.variant == v].hazard_per_year) == {vals[i]}


@test
def trials_batch_two_keys():
    df = check_trials(P("batch2.h5"))
    assert {"hazard_per_year", "initial_months"} <= set(df.columns)


@test
def swept_names_and_units_as_info():
    # The names and units of eight kinds of swept keys (a node's demand,
    # yield and capacity by id and by index, a distribution's parameters,
    # an intervention's key, a plain number) as `shortfall info --format
    # json` gives them (sf_sweep_names and sf_sweep_unit in sim/batch.c).
    import json
    info = json.load(open(P("keys.json")))
    ds = shortfall.open(P("keys.h5"))
    names = [s["name"] for s in info["sweeps"]]
    assert len(names) == 8
    for k, name in enumerate(names):
        c = ds[name]
        assert c.attrs["sweep"] == f"sweep_{k}" and c.attrs["path"] == info["sweeps"][k]["path"]
        units = {r[info["sweeps"][k]["field"] + "_unit"] for r in info["runs"]}
        assert len(units) == 1 and c.attrs["units"] == units.pop(), (name, c.attrs)
        assert list(c.values) == [r[info["sweeps"][k]["field"]] for r in info["runs"]]


@test
def labels_outer_joined():
    # Mixes whose labels differ (a producer only one mix builds): the union
    # in first-seen order (not sorted), NaN where a mix has no such label.
    import xarray as xr
    from shortfall.reader import _concat
    a = xr.Dataset({"x": ("producer", np.array([1, 2], dtype=np.int32))},
                   coords={"producer": ["q", "p"]})
    b = xr.Dataset({"x": ("producer", np.array([3, 4], dtype=np.int32))},
                   coords={"producer": ["r", "a"]})
    ds = _concat([a, b], "policy", ["baseline", "build"])
    assert list(ds.producer.values) == ["q", "p", "r", "a"], ds.producer.values
    assert ds.x.dims == ("policy", "producer")
    assert list(ds.x.sel(policy="build").values[2:]) == [3, 4]
    assert np.isnan(ds.x.sel(policy="baseline", producer="r"))


@test
def two_scenarios():
    # A batch of two scenario files (toy-magnets and ree-magnets): their
    # variables and labels differ (the toy has no producer with a unit
    # cost, so no closed_months_*).  Every variable gets the variant and
    # policy dimensions; every dataset of every group equals the reader's
    # value at that variant, mix and the group's own labels; a variable a
    # variant lacks is NaN throughout that variant.
    path = P("multi.h5")
    ds = shortfall.open(path)
    f, runs = h5_runs(path)
    assert sorted(v for v, _ in runs) == sorted(ds.variant.values), ds.variant.values
    for var, da in ds.data_vars.items():
        assert "variant" in da.dims and "policy" in da.dims, (var, da.dims)
    n = 0
    for v, mixes in runs:
        names = set().union(*(set(g) for g in mixes.values()))
        for var in ds.data_vars:
            if var not in names:
                assert bool(ds[var].sel(variant=v).isnull().all()), (v, var)
                n += 1
        for pol, g in mixes.items():
            at = ds.sel(variant=v, policy=pol)
            scales = {h5py.h5o.get_info(d.id).addr: (k, d[()]) for k, d in g.items()
                      if d.attrs.get("CLASS") == b"DIMENSION_SCALE"}
            for name, d in g.items():
                if d.attrs.get("CLASS") == b"DIMENSION_SCALE":
                    continue
                dims = [scales[h5py.h5o.get_info(x[0].id).addr] for x in d.dims]
                got = at[name]
                sel = {k: (dec(lab) if lab.dtype.kind in "SO" else lab)
                       for k, lab in dims}
                got = got.sel(sel) if sel else got
                got = got.transpose(*[k for k, _ in dims])
                want = d[()]
                if got.dtype == np.float64 and want.dtype.kind in "iub":
                    want = want.astype(np.float64)
                assert same_bits(got.values, want), f"{v}/{pol}/{name} differs"
                n += 1
    assert n > 1000, f"only {n} datasets compared"
    assert "closed_months_mean" in ds and bool(
        ds.closed_months_mean.sel(variant="toy-magnets").isnull().all())
    assert float(ds.closed_months_mean.sel(variant="ree-magnets").max()) > 0


@test
def not_a_results_file():
    text = P("not.h5")
    with open(text, "w") as fh:
        fh.write("not HDF5\n")
    other = P("other.h5")
    with h5py.File(other, "w") as fh:
        fh["x"] = [1, 2, 3]
    old = P("old.h5")
    with h5py.File(old, "w") as fh:
        fh.attrs["software"] = np.bytes_("shortfall")
        fh.attrs["format_version"] = 1
    for bad, what in ((text, "not an HDF5"), (other, "not a shortfall"),
                      (old, "format version 1")):
        for fn in (shortfall.open, shortfall.trials):
            try:
                fn(bad)
            except shortfall.FileFormatError as e:
                assert isinstance(e, ValueError)
                assert bad in str(e) and what in str(e), str(e)
            else:
                raise AssertionError(f"{fn.__name__}({bad}) did not raise")
    try:
        shortfall.open(P("missing.h5"))
    except FileNotFoundError as e:
        assert "missing.h5" in str(e)
    else:
        raise AssertionError("a missing file did not raise")


@test
def units_and_names_from_the_file():
    # The file's sweep_<k> attributes (units, name) win over the rule in
    # _sweeps: a unit written into a copy shows; without the attributes
    # (an older file) the rule gives the same units as before.
    import shutil
    shutil.copy(P("batch2.h5"), P("units.h5"))
    with h5py.File(P("units.h5"), "r+") as fh:
        fh["sweep_1"].attrs["units"] = np.bytes_("fortnights")
        fh["sweep_1"].attrs["name"] = np.bytes_("stock_length")
    ds = shortfall.open(P("units.h5"))
    assert ds["stock_length"].attrs["units"] == "fortnights", ds.coords
    assert ds["hazard_per_year"].attrs["units"] == "1/year"
    shutil.copy(P("batch2.h5"), P("old.h5"))
    with h5py.File(P("old.h5"), "r+") as fh:
        for k in (0, 1):
            for a in ("units", "name", "path"):
                del fh[f"sweep_{k}"].attrs[a]
            fh[f"sweep_{k}"].attrs["units"] = np.bytes_("1")   # as old files had
    ds = shortfall.open(P("old.h5"))
    assert ds["hazard_per_year"].attrs["units"] == "1/year"
    assert ds["initial_months"].attrs["units"] == "months"


@test
def sobol_design_coordinates():
    # A sobol file: design_matrix, design_base, design_column along
    # variant, as the file has them; the ranges with the sweeps.
    ds = shortfall.open(P("sobol.h5"))
    f = h5py.File(P("sobol.h5"), "r")
    assert list(ds["design_matrix"].values) == dec(f["design_matrix"][()])
    assert list(ds["design_base"].values) == list(f["design_base"][()])
    assert list(ds["design_column"].values) == list(f["design_column"][()])
    assert ds["design_matrix"].dims == ("variant",)
    k = len(ds.variant) // ds.attrs["design_samples"] - 2
    assert k == 2 and ds.attrs["design"] == "sobol"
    h = ds["hazard_per_year"]
    assert h.attrs["units"] == "1/year" and h.attrs["log"] == 1
    assert h.attrs["range_lo"] <= float(h.min()) and float(h.max()) <= h.attrs["range_hi"]
    a = ds.where(ds.design_matrix == "A", drop=True)
    assert len(a.variant) == ds.attrs["design_samples"]


failed = 0
for t in TESTS:
    try:
        t()
        print(f"ok reader-{t.__name__.replace('_', '-')}")
    except Exception:
        failed += 1
        print(f"not ok reader-{t.__name__.replace('_', '-')}")
        print("    " + traceback.format_exc().replace("\n", "\n    "))
sys.exit(1 if failed else 0)
